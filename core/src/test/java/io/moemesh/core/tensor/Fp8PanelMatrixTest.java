package io.moemesh.core.tensor;

import io.moemesh.core.ReferenceFixture;
import io.moemesh.core.kernel.MatMul;
import io.moemesh.core.nn.Qwen3Model;
import io.moemesh.core.weights.Checkpoint;
import io.moemesh.core.weights.LoadMode;
import io.moemesh.core.weights.Numerics;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An FP8 checkpoint's e4m3 blocks in row panels ({@code --weights auto}): every byte read as e4m3 defines it by the
 * kernels' shift and mask, every weight kept, and the tensors the panels cannot hold exactly left as stored.
 * (MatMulTest's {@code fp8p} cases hold the kernels to their twin and to each other.)
 */
class Fp8PanelMatrixTest {
    private static final Arena ARENA = Arena.ofAuto();

    /** A rows × cols FP8 matrix of the given bytes (row-major) under scale blocks of br × bc. */
    private static Fp8BlockMatrix fp8(byte[] bytes, int rows, int cols, float[] scales, int br, int bc) {
        MemorySegment data = ARENA.allocate(bytes.length);
        MemorySegment.copy(bytes, 0, data, ValueLayout.JAVA_BYTE, 0, bytes.length);
        return new Fp8BlockMatrix(data, rows, cols, scales, br, bc);
    }

    private static Fp8BlockMatrix random(int rows, int cols, int br, int bc, SplittableRandom r) {
        byte[] bytes = new byte[rows * cols];
        for (int i = 0; i < bytes.length; i++) {
            int b;
            do {
                b = r.nextInt(256);
            } while ((b & 0x7F) == 0x7F);
            bytes[i] = (byte) b;
        }
        float[] scales = new float[((rows + br - 1) / br) * ((cols + bc - 1) / bc)];
        for (int i = 0; i < scales.length; i++) {
            scales[i] = (float) (1e-4 + r.nextDouble() * 1e-2);
        }
        return fp8(bytes, rows, cols, scales, br, bc);
    }

    /**
     * Row c holds every non-NaN byte, each once, at column (c + i) mod 254: with a one-hot input the kernels return each
     * byte's e4m3 value (times a scale of 1) exactly, subnormals and −0 included, whether a token streams the weights
     * or nine share a decoded block.
     */
    @Test
    void everyByteIsReadAsItsE4m3Value() {
        int n = 254;   // 256 byte patterns less the two NaNs
        byte[] patterns = new byte[n];
        for (int b = 0, i = 0; b < 256; b++) {
            if ((b & 0x7F) != 0x7F) {
                patterns[i++] = (byte) b;
            }
        }
        int rows = 3;
        byte[] bytes = new byte[rows * n];
        for (int row = 0; row < rows; row++) {
            for (int c = 0; c < n; c++) {
                bytes[row * n + c] = patterns[(c + row * 100) % n];
            }
        }
        float[] ones = new float[2];
        java.util.Arrays.fill(ones, 1f);
        Matrix panels = WeightFormat.AUTO.quantize(fp8(bytes, rows, n, ones, 128, 128), ARENA);
        assertInstanceOf(Fp8PanelMatrix.class, panels);
        for (int tokens : new int[]{1, 9}) {
            float[] x = new float[tokens * n];
            for (int t = 0; t < tokens; t++) {
                x[t * n + (t * 37 + 5) % n] = 1f;   // token t picks column (37t + 5) mod n
            }
            float[] out = MatMul.vector().apply(panels, x, tokens);
            for (int t = 0; t < tokens; t++) {
                int c = (t * 37 + 5) % n;
                for (int row = 0; row < rows; row++) {
                    float expected = Numerics.e4m3ToFloat(bytes[row * n + c]);
                    // a sum of zeros and one product: −0 only where the byte is −0 and nothing else is added
                    assertEquals(expected == 0 ? 0f : expected, out[t * rows + row] == 0 ? 0f : out[t * rows + row],
                            "byte 0x" + Integer.toHexString(bytes[row * n + c] & 0xFF) + ", " + tokens + " token(s)");
                }
            }
        }
    }

    @Test
    void autoKeepsEveryWeightAndScale() {
        Fp8BlockMatrix source = random(300, 333, 128, 128, new SplittableRandom(3));
        Matrix panels = WeightFormat.AUTO.quantize(source, ARENA);
        assertInstanceOf(Fp8PanelMatrix.class, panels);
        assertEquals("fp8", panels.format());
        float[] expected = new float[333], actual = new float[333];
        for (int row = 0; row < 300; row++) {
            source.row(row, expected, 0);
            panels.row(row, actual, 0);
            for (int c = 0; c < 333; c++) {
                assertEquals(Float.floatToIntBits(expected[c]), Float.floatToIntBits(actual[c]), "row " + row + " col " + c);
            }
        }
        // about the stored bytes plus a float scale per row and 128 columns, padded to groups of rows and 32 columns
        assertTrue(panels.bytes() < 1.15 * source.bytes() + 128 * 352, "bytes " + panels.bytes() + " vs " + source.bytes());
    }

    /** Scale blocks that split a block of 32 columns, a NaN byte, or a scale too large for 2^64: left as stored. */
    @Test
    void whatThePanelsCannotHoldStaysAsStored() {
        Fp8BlockMatrix narrowBlocks = random(40, 200, 128, 100, new SplittableRandom(5));
        assertSame(narrowBlocks, WeightFormat.AUTO.quantize(narrowBlocks, ARENA));

        Fp8BlockMatrix nan = random(40, 200, 128, 128, new SplittableRandom(6));
        nan.data().set(ValueLayout.JAVA_BYTE, 40 * 200 - 1, (byte) 0xFF);
        assertSame(nan, WeightFormat.AUTO.quantize(nan, ARENA));
        nan.data().set(ValueLayout.JAVA_BYTE, 40 * 200 - 1, (byte) 0x7E);   // 448: the largest finite value
        assertInstanceOf(Fp8PanelMatrix.class, WeightFormat.AUTO.quantize(nan, ARENA));

        Fp8BlockMatrix huge = random(40, 200, 128, 128, new SplittableRandom(7));
        huge.scales()[1] = 0x1p70f;
        assertSame(huge, WeightFormat.AUTO.quantize(huge, ARENA));
    }

    /**
     * Stored FP8 rows, widened L bytes at a time, are the table's value times the scale for every byte, NaN included,
     * under scale blocks whose width is not a multiple of the vector's.
     */
    @Test
    void storedRowsWidenEveryByteAsTheTableDoes() {
        int rows = 3, cols = 700, br = 2, bc = 100;
        byte[] bytes = new byte[rows * cols];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) (i * 7 + i / 256);   // every pattern, NaNs too, at varying places
        }
        float[] scales = new float[2 * 7];
        for (int i = 0; i < scales.length; i++) {
            scales[i] = 0.37f + i;
        }
        Fp8BlockMatrix m = fp8(bytes, rows, cols, scales, br, bc);
        float[] row = new float[cols];
        int nans = 0;
        for (int r = 0; r < rows; r++) {
            m.row(r, row, 0);
            for (int c = 0; c < cols; c++) {
                float expected = Numerics.e4m3ToFloat(bytes[r * cols + c]) * scales[r / br * 7 + c / bc];
                nans += Float.isNaN(expected) ? 1 : 0;
                assertEquals(Float.floatToIntBits(expected), Float.floatToIntBits(row[c]), "row " + r + " col " + c);
            }
        }
        assertTrue(nans > 0, "the bytes include NaNs");
    }

    /** The FP8 fixture under auto (panels) gives the logits stored (row by row) gives: the same weights. */
    @Test
    void fp8CheckpointInPanelsMatchesStored() {
        ReferenceFixture ref = ReferenceFixture.load("tiny-qwen3-moe-fp8");
        int[] prompt = ref.i("input_ids");
        float[][] logits = new float[2][];
        String[] plans = {"stored", "auto"};
        for (int i = 0; i < 2; i++) {
            try (Checkpoint ck = Checkpoint.open(ref.dir(), LoadMode.MEMORY, WeightPlan.parse(plans[i]));
                 Qwen3Model model = Qwen3Model.load(ck, MatMul.vector())) {
                logits[i] = model.forward(1, prompt, true, null);
            }
        }
        double between = ReferenceFixture.relativeError(logits[1], logits[0]);
        assertTrue(between < 1e-5, "auto against stored: relative difference " + between);
        double error = ReferenceFixture.relativeError(logits[1], ref.f("logits"));
        assertTrue(error < 0.01, "auto against the reference: relative error " + error);
    }
}

package io.moemesh.core.weights.gguf;

import io.moemesh.core.tensor.GgmlKQuantMatrix;
import io.moemesh.core.tensor.GgmlQ4Matrix;
import io.moemesh.core.tensor.Int8Matrix;
import io.moemesh.core.tensor.Q4Matrix;
import io.moemesh.core.tensor.WeightFormat;
import io.moemesh.core.tensor.Q8Matrix;
import io.moemesh.core.tensor.Matrix;
import io.moemesh.core.weights.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The matrices over ggml's native block layouts, on random blocks built byte by byte: the scalar twin against a
 * dequantizer written here from ggml-quants.c's formulas value by value (not loop by loop, as the main code
 * does), rows against the twin, and the SIMD kernel against the twin up to float rounding.
 */
class GgmlMatrixTest {
    private static final Arena ARENA = Arena.ofAuto();

    /** Random block bytes; the fp16 scales set to random finite values (random bits could be NaN or huge). */
    static byte[] randomBlocks(DType type, int blocks, SplittableRandom r) {
        byte[] b = new byte[blocks * type.blockBytes()];
        r.nextBytes(b);
        ByteBuffer buf = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < blocks; i++) {
            int at = i * type.blockBytes();
            switch (type) {
                case Q8_0, Q4_0 -> buf.putShort(at, scale(r));
                case Q4_K, Q5_K -> {
                    buf.putShort(at, scale(r));
                    buf.putShort(at + 2, scale(r));
                }
                case Q6_K -> buf.putShort(at + 208, scale(r));
                default -> throw new IllegalArgumentException(type.name());
            }
        }
        return b;
    }

    private static short scale(SplittableRandom r) {
        double magnitude = Math.pow(10, -4 + 3 * r.nextDouble());
        return Float.floatToFloat16((float) (r.nextBoolean() ? magnitude : -magnitude));
    }

    /** Inputs: n values of N(0, 1). */
    static float[] gaussian(int n, SplittableRandom r) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) r.nextGaussian();
        }
        return x;
    }

    static Matrix matrix(DType type, MemorySegment data, int rows, int cols) {
        return switch (type) {
            case Q8_0 -> Q8Matrix.ggml(data, rows, cols);
            case Q4_0 -> GgmlQ4Matrix.ggml(data, rows, cols);
            case Q4_K, Q5_K, Q6_K -> GgmlKQuantMatrix.of(type, data, rows, cols);
            default -> throw new IllegalArgumentException(type.name());
        };
    }

    // ---- an independent dequantizer: value i of one block, straight from ggml's formulas

    private static int u8(byte[] b, int i) {
        return b[i] & 0xFF;
    }

    private static float f16(byte[] b, int i) {
        return Float.float16ToFloat((short) (u8(b, i) | u8(b, i + 1) << 8));
    }

    /** get_scale_min_k4(j, scales): {scale, min} of sub-block j. */
    private static int[] scaleMin(byte[] b, int scales, int j) {
        if (j < 4) {
            return new int[]{u8(b, scales + j) & 63, u8(b, scales + j + 4) & 63};
        }
        return new int[]{(u8(b, scales + j + 4) & 0xF) | ((u8(b, scales + j - 4) >> 6) << 4),
                (u8(b, scales + j + 4) >> 4) | ((u8(b, scales + j) >> 6) << 4)};
    }

    static float value(DType type, byte[] b, int block, int i) {
        int at = block * type.blockBytes();
        switch (type) {
            case Q8_0 -> {
                return b[at + 2 + i] * f16(b, at);
            }
            case Q4_0 -> {
                int q = i < 16 ? u8(b, at + 2 + i) & 0xF : u8(b, at + 2 + i - 16) >> 4;
                return (q - 8) * f16(b, at);
            }
            case Q4_K, Q5_K -> {
                int sub = i / 32, group = i / 64, l = i % 32;
                boolean high = i % 64 >= 32;
                int qs = at + (type == DType.Q4_K ? 16 : 48) + group * 32 + l;
                int q = high ? u8(b, qs) >> 4 : u8(b, qs) & 0xF;
                if (type == DType.Q5_K && (u8(b, at + 16 + l) >> sub & 1) != 0) {
                    q += 16;
                }
                int[] sm = scaleMin(b, at + 4, sub);
                return f16(b, at) * sm[0] * q - f16(b, at + 2) * sm[1];
            }
            case Q6_K -> {
                return f16(b, at + 208) * q6kScale(b, block, i) * q6kLevel(b, block, i);
            }
            default -> throw new IllegalArgumentException(type.name());
        }
    }

    /** Q6_K's signed level of value i of a block: four bits of ql, two of qh, minus 32. */
    static int q6kLevel(byte[] b, int block, int i) {
        int at = block * DType.Q6_K.blockBytes(), half = i / 128, quarter = i % 128 / 32, l = i % 32;
        int ql = u8(b, at + half * 64 + l + (quarter % 2 == 1 ? 32 : 0));
        int low = quarter < 2 ? ql & 0xF : ql >> 4;
        int hi = u8(b, at + 128 + half * 32 + l) >> 2 * quarter & 3;
        return (low | hi << 4) - 32;
    }

    /** Q6_K's int8 scale of value i of a block (ggml's is + 2·quarter over a half's 32 l). */
    static int q6kScale(byte[] b, int block, int i) {
        int half = i / 128, quarter = i % 128 / 32, l = i % 32;
        return b[block * DType.Q6_K.blockBytes() + 192 + half * 8 + l / 16 + 2 * quarter];
    }

    @ParameterizedTest
    @CsvSource({"Q8_0,37,1", "Q8_0,3,7", "Q8_0,5,33", "Q8_0,1,2", "Q4_0,37,1", "Q4_0,3,7", "Q4_0,5,33", "Q4_0,1,2",
            "Q4_K,3,1", "Q4_K,5,3", "Q4_K,1,7", "Q5_K,3,1", "Q5_K,5,3", "Q5_K,1,7", "Q6_K,3,1", "Q6_K,5,3", "Q6_K,1,7"})
    void twinFollowsGgmlAndKernelFollowsTwin(DType type, int rows, int blocksPerRow) {
        SplittableRandom r = new SplittableRandom(type.ordinal() * 1009L + rows * 31L + blocksPerRow);
        int cols = blocksPerRow * type.blockSize();
        byte[] bytes = randomBlocks(type, rows * blocksPerRow, r);
        // at an odd address: a tensor inside a mapped file has no alignment beyond GGUF's 32 bytes
        MemorySegment data = ARENA.allocate(bytes.length + 3).asSlice(3);
        MemorySegment.copy(bytes, 0, data, ValueLayout.JAVA_BYTE, 0, bytes.length);
        Matrix m = matrix(type, data, rows, cols);
        assertEquals((long) bytes.length, m.bytes());
        assertEquals(type.name().toLowerCase().replace("_k", "_K"), m.format());

        int tokens = 4;
        float[] x = gaussian(1 + tokens * cols, r);   // read from offset 1: the kernel must honour xOffset
        float[] row = new float[cols];
        for (int rr = 0; rr < rows; rr++) {
            m.row(rr, row, 0);
            for (int c = 0; c < cols; c++) {
                float expected = value(type, bytes, rr * blocksPerRow + c / type.blockSize(), c % type.blockSize());
                assertEquals(expected, row[c], 0f, type + " [" + rr + "][" + c + "]");
            }
            for (int t = 0; t < tokens; t++) {
                int off = 1 + t * cols;
                float viaRow = 0;
                double absTerms = 0;
                for (int c = 0; c < cols; c++) {
                    viaRow += row[c] * x[off + c];
                    absTerms += Math.abs(row[c] * x[off + c]);
                }
                float reference = m.dotReference(rr, x, off);
                assertEquals(viaRow, reference, 0f, type + " twin, row " + rr);
                float fast = m.dot(rr, x, off);
                assertTrue(Math.abs(fast - reference) <= 1e-5 * absTerms,
                        type + " [" + rr + "," + t + "]: kernel " + fast + " vs twin " + reference + " (Σ|terms| " + absTerms + ")");
            }
            // four tokens at once (prefill, batched decode) give each exactly its own dot
            float[] four = new float[4];
            m.dot4(rr, x, 1, cols, four);
            for (int t = 0; t < 4; t++) {
                assertEquals(Float.floatToIntBits(m.dot(rr, x, 1 + t * cols)), Float.floatToIntBits(four[t]),
                        type + " dot4 token " + t + " row " + rr);
            }
            // and so do many (the block formats decode the row once from 8 tokens on): 9 tokens, x reused cyclically
            int many = 9;
            float[] xs = new float[many * cols], outs = new float[many];
            for (int i = 0; i < xs.length; i++) {
                xs[i] = x[1 + i % (tokens * cols)] * (1 + i / (tokens * cols));
            }
            m.dotTokens(rr, xs, 0, cols, many, outs, 0, 1);
            for (int t = 0; t < many; t++) {
                assertEquals(Float.floatToIntBits(m.dot(rr, xs, t * cols)), Float.floatToIntBits(outs[t]),
                        type + " dotTokens token " + t + " row " + rr);
            }
        }
    }

    /**
     * {@code --weights q4} on a GGUF Q4_0 tensor, and {@code --weights int8} on a Q8_0 one, repack its blocks into
     * our panel layout: every weight the same value, the same bytes per weight (rows padded to whole groups), and
     * the kernel within float rounding of the in-place one.
     */
    @ParameterizedTest
    @CsvSource({"Q4_0,3,4", "Q4_0,5,9", "Q4_0,2,64", "Q4_0,1,13", "Q4_0,4,1", "Q8_0,3,4", "Q8_0,130,9", "Q8_0,1,1"})
    void ourFormatsRepackGgmlBlocksWithoutLoss(DType type, int rows, int blocksPerRow) {
        SplittableRandom r = new SplittableRandom(rows * 97L + blocksPerRow);
        int cols = blocksPerRow * 32;
        byte[] bytes = randomBlocks(type, rows * blocksPerRow, r);
        MemorySegment data = ARENA.allocate(bytes.length);
        MemorySegment.copy(bytes, 0, data, ValueLayout.JAVA_BYTE, 0, bytes.length);
        Matrix ggml = matrix(type, data, rows, cols);
        boolean q4 = type == DType.Q4_0;
        Matrix ours = (q4 ? WeightFormat.Q4 : WeightFormat.INT8).quantize(ggml, ARENA);
        assertTrue(q4 ? ours instanceof Q4Matrix : ours instanceof Int8Matrix, ours.getClass().getSimpleName());
        assertEquals(q4 ? "q4" : "int8", ours.format());
        float[] expected = new float[cols], actual = new float[cols], x = gaussian(cols, r);
        for (int rr = 0; rr < rows; rr++) {
            ggml.row(rr, expected, 0);
            ours.row(rr, actual, 0);
            assertArrayEquals(expected, actual, "row " + rr);
            double absTerms = 0;
            for (int c = 0; c < cols; c++) {
                absTerms += Math.abs(expected[c] * x[c]);
            }
            assertEquals(ggml.dotReference(rr, x, 0), ours.dotReference(rr, x, 0), 0f, "twins, row " + rr);
            assertEquals(ggml.dot(rr, x, 0), ours.dot(rr, x, 0), 1e-5 * absTerms, "kernels, row " + rr);
        }
        // 18 bytes a block, as Q4_0 (34, as Q8_0); a partial last group of rows is padded
        int paddedRows = (rows + Q4Matrix.GROUP_ROWS - 1) / Q4Matrix.GROUP_ROWS * Q4Matrix.GROUP_ROWS;
        assertEquals(ggml.bytes() / rows * paddedRows, ours.bytes());
    }

    /** The test writer's Q8_0 (ggml's reference quantizer) keeps each weight within about half a step of itself. */
    @Test
    void writerQ8_0IsHalfAStep() {
        SplittableRandom r = new SplittableRandom(5);
        int rows = 7, cols = 96;
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) (r.nextGaussian() * Math.pow(10, -3 + 3 * r.nextDouble()));
        }
        byte[] q = GgufWriter.quantizeQ8_0(w);
        MemorySegment data = ARENA.allocate(q.length);
        MemorySegment.copy(q, 0, data, ValueLayout.JAVA_BYTE, 0, q.length);
        Matrix m = Q8Matrix.ggml(data, rows, cols);
        float[] row = new float[cols];
        for (int rr = 0; rr < rows; rr++) {
            m.row(rr, row, 0);
            for (int b = 0; b < cols / 32; b++) {
                double amax = 0;
                for (int c = b * 32; c < b * 32 + 32; c++) {
                    amax = Math.max(amax, Math.abs(w[rr * cols + c]));
                }
                double step = amax / 127;
                for (int c = b * 32; c < b * 32 + 32; c++) {
                    // half a step, plus up to 127 steps times fp16's relative rounding of the stored step
                    double err = Math.abs(row[c] - w[rr * cols + c]);
                    assertTrue(err <= step * (0.5 + 127 * 0x1p-11) + 1e-12, "[" + rr + "][" + c + "] error " + err + " step " + step);
                }
            }
        }
    }
}

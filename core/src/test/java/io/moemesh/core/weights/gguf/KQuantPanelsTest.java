package io.moemesh.core.weights.gguf;

import io.moemesh.core.tensor.Bf16Matrix;
import io.moemesh.core.tensor.Bf16PanelMatrix;
import io.moemesh.core.tensor.BlockOffsetMatrix;
import io.moemesh.core.tensor.F32Matrix;
import io.moemesh.core.tensor.GgmlKQuantMatrix;
import io.moemesh.core.tensor.GgmlQ4Matrix;
import io.moemesh.core.tensor.Int8Matrix;
import io.moemesh.core.tensor.Matrix;
import io.moemesh.core.tensor.Q4A8Matrix;
import io.moemesh.core.tensor.Q4Matrix;
import io.moemesh.core.tensor.Q6Matrix;
import io.moemesh.core.tensor.Q8Matrix;
import io.moemesh.core.tensor.WeightFormat;
import io.moemesh.core.weights.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * GGUF's Q4_K and Q5_K in our row panels ({@link BlockOffsetMatrix}): every level kept, each step rounded to fp16
 * and each block's offset to bf16, so every weight within those roundings of ggml's value; the kernels within float
 * rounding of the twin, and every batched path exactly the single-token dot. Random super-blocks built byte by byte,
 * read by this test's own decoder ({@link GgmlMatrixTest#value}); rows that fill a group of 128 and spill into the
 * next, so the panels' padding is crossed.
 */
class KQuantPanelsTest {
    private static final Arena ARENA = Arena.ofAuto();

    private static MemorySegment segment(byte[] bytes) {
        MemorySegment data = ARENA.allocate(bytes.length);
        MemorySegment.copy(bytes, 0, data, ValueLayout.JAVA_BYTE, 0, bytes.length);
        return data;
    }

    /** (step, min) of sub-block j of super-block {@code block}, read from the bytes as ggml's get_scale_min_k4 does. */
    private static float[] stepAndMin(byte[] b, DType type, int block, int j) {
        int at = block * type.blockBytes(), s = at + 4;
        int sc, m;
        if (j < 4) {
            sc = b[s + j] & 63;
            m = b[s + j + 4] & 63;
        } else {
            sc = (b[s + j + 4] & 0xF) | ((b[s + j - 4] & 0xFF) >> 6) << 4;
            m = (b[s + j + 4] & 0xFF) >> 4 | ((b[s + j] & 0xFF) >> 6) << 4;
        }
        float d = Float.float16ToFloat((short) (b[at] & 0xFF | b[at + 1] << 8));
        float dmin = Float.float16ToFloat((short) (b[at + 2] & 0xFF | b[at + 3] << 8));
        return new float[]{d * sc, dmin * m};
    }

    @ParameterizedTest
    @CsvSource({"Q4_K,q4,3,1", "Q4_K,q4,130,3", "Q4_K,q4a8,3,1", "Q4_K,q4a8,130,3", "Q4_K,int8,5,2", "Q4_K,int8,129,1",
            "Q5_K,int8,3,1", "Q5_K,int8,130,3", "Q4_K,auto,7,2", "Q5_K,auto,2,1"})
    void levelsKeptAndEveryPathIsDot(DType type, String weights, int rows, int superBlocks) {
        SplittableRandom r = new SplittableRandom(type.ordinal() * 131L + rows * 7L + superBlocks);
        int cols = superBlocks * 256, blocks = cols / 32;
        byte[] bytes = GgmlMatrixTest.randomBlocks(type, rows * superBlocks, r);
        Matrix ggml = GgmlMatrixTest.matrix(type, segment(bytes), rows, cols);
        BlockOffsetMatrix ours = assertInstanceOf(BlockOffsetMatrix.class, WeightFormat.of(weights).quantize(ggml, ARENA));
        String layout = type == DType.Q5_K || weights.equals("int8") ? "int8" : weights.equals("q4a8") ? "q4a8" : "q4";
        assertEquals(layout, ours.levels().format(), weights + " on " + type);
        assertEquals(layout + "+min", ours.format());
        int center = type == DType.Q4_K ? 8 : 16;

        float[] row = new float[cols], offsets = new float[blocks];
        for (int rr = 0; rr < rows; rr++) {
            ours.row(rr, row, 0);
            ours.offsets().row(rr, offsets, 0);
            for (int c = 0; c < cols; c++) {
                int block = rr * superBlocks + c / 256;
                float[] sm = stepAndMin(bytes, type, block, c % 256 / 32);
                float step = sm[0], min = sm[1], expected = GgmlMatrixTest.value(type, bytes, block, c % 256);
                // the level, exactly: ggml's value is step · q − min, so q is the one level that gives it
                int level = switch (ours.levels()) {
                    case Q4Matrix q -> q.level(rr, c);
                    case Q4A8Matrix q -> q.level(rr, c);
                    case Int8Matrix q -> q.level(rr, c);
                    default -> throw new AssertionError(ours.levels().format());
                };
                assertEquals(expected, step * (level + center) - min, 0f, type + " level [" + rr + "][" + c + "]");
                // the offset: center · fp16(step) − min, within bf16's half ulp
                float offset = center * Float.float16ToFloat(Float.floatToFloat16(step)) - min;
                assertEquals(offset, offsets[c / 32], Math.abs(offset) * 0x1p-8f, "offset [" + rr + "][" + c / 32 + "]");
                // the weight: fp16's rounding of the step over up to 31 levels, bf16's of the offset, float's of the sums
                double tolerance = 32 * (Math.abs(step) * 0x1p-11 + 0x1p-25) + Math.abs(offset) * 0x1p-8
                        + 0x1p-22 * (32 * Math.abs(step) + Math.abs(min));
                assertEquals(expected, row[c], tolerance, type + " weight [" + rr + "][" + c + "]");
            }
        }

        int tokens = 9;
        float[] x = GgmlMatrixTest.gaussian(1 + tokens * cols, r);   // read from offset 1: every path must honour xOffset
        float[] levelRow = new float[cols];
        for (int rr = 0; rr < rows; rr++) {
            ours.row(rr, row, 0);
            ours.levels().row(rr, levelRow, 0);
            ours.offsets().row(rr, offsets, 0);
            double absTerms = 0, inputRounding = 0;
            for (int c = 0; c < cols; c++) {
                absTerms += (Math.abs(levelRow[c]) + Math.abs(offsets[c / 32])) * Math.abs(x[1 + c]);
                // q4a8 rounds each input to its block's int8 grid, by at most half a step (max |x| / 127)
                inputRounding += Math.abs(levelRow[c]) * blockMaxAbs(x, 1 + c / 32 * 32) / 254;
            }
            float reference = ours.dotReference(rr, x, 1), fast = ours.dot(rr, x, 1);
            assertTrue(Math.abs(fast - reference) <= 1e-5 * absTerms, "kernel " + fast + " vs twin " + reference + ", row " + rr);
            float viaRow = 0;
            for (int c = 0; c < cols; c++) {
                viaRow += row[c] * x[1 + c];
            }
            double rounding = layout.equals("q4a8") ? inputRounding : 0;
            assertEquals(viaRow, reference, 1e-5 * absTerms + rounding, "twin vs the rows, row " + rr);
        }
        everyPathIsDot(ours, x, tokens);
        assertEquals(ours.levels().bytes() + ours.offsets().bytes(), ours.bytes());
        assertEquals(ours.levels().rowGrain(), ours.rowGrain());
    }

    /**
     * Q6_K in our panels ({@link Q6Matrix}): every six-bit level and int8 scale as ggml's bytes hold them, every weight
     * exactly ggml's value (d · s · q is exact in float: 11 + 13 bits), the kernel within float rounding of the twin,
     * and every path the single-token dot. Rows within one group, two and a part (dotRows takes groups in pairs), and
     * over one to three super-blocks.
     */
    @ParameterizedTest
    @CsvSource({"3,1", "130,2", "257,3", "1,1"})
    void q6kLevelsKeptAndEveryPathIsDot(int rows, int superBlocks) {
        SplittableRandom r = new SplittableRandom(rows * 31L + superBlocks);
        int cols = superBlocks * 256;
        byte[] bytes = GgmlMatrixTest.randomBlocks(DType.Q6_K, rows * superBlocks, r);
        Matrix ggml = GgmlMatrixTest.matrix(DType.Q6_K, segment(bytes), rows, cols);
        Q6Matrix ours = assertInstanceOf(Q6Matrix.class, WeightFormat.AUTO.quantize(ggml, ARENA));
        assertEquals("q6", ours.format());

        float[] row = new float[cols];
        for (int rr = 0; rr < rows; rr++) {
            ours.row(rr, row, 0);
            for (int c = 0; c < cols; c++) {
                int block = rr * superBlocks + c / 256;
                String at = "[" + rr + "][" + c + "]";
                assertEquals(GgmlMatrixTest.q6kLevel(bytes, block, c % 256), ours.sixBitLevel(rr, c), "level " + at);
                assertEquals(GgmlMatrixTest.q6kScale(bytes, block, c % 256), ours.subScale(rr, c), "scale " + at);
                assertEquals(GgmlMatrixTest.value(DType.Q6_K, bytes, block, c % 256), row[c], 0f, "weight " + at);
            }
        }

        int tokens = 9;
        float[] x = GgmlMatrixTest.gaussian(1 + tokens * cols, r);
        for (int rr = 0; rr < rows; rr++) {
            ours.row(rr, row, 0);
            double absTerms = 0, viaRow = 0;
            for (int c = 0; c < cols; c++) {
                absTerms += Math.abs(row[c] * x[1 + c]);
                viaRow += (double) row[c] * x[1 + c];
            }
            float fast = ours.dot(rr, x, 1), twin = ggml.dotReference(rr, x, 1);
            assertEquals(viaRow, fast, 1e-5 * absTerms, "kernel vs the rows, row " + rr);
            assertEquals(twin, fast, 1e-5 * absTerms, "kernel vs ggml's twin, row " + rr);
        }
        everyPathIsDot(ours, x, tokens);
        // an input past what the kernel's scaled copies hold exactly (x·2^104 overflows from 2^24 on) takes the decoded
        // path: the same floats again
        float[] large = x.clone();
        large[1 + cols / 2] = 0x1p24f;
        float[] out = new float[rows];
        ours.dotRows(0, rows, large, 1, out, 0);
        for (int rr = 0; rr < rows; rr++) {
            assertEquals(Float.floatToIntBits(ours.dot(rr, large, 1)), Float.floatToIntBits(out[rr]), "large input, row " + rr);
            // the kernels sum (q + 32)·x and start from −32·Σx: their rounding is relative to those terms
            double terms = 0;
            for (int c = 0; c < cols; c++) {
                terms += Math.abs(ours.superScale(rr, c) * ours.subScale(rr, c)) * (Math.abs(ours.sixBitLevel(rr, c)) + 64)
                        * Math.abs(large[1 + c]);
            }
            assertEquals(ggml.dotReference(rr, large, 1), out[rr], 1e-5 * terms, "large input vs ggml's twin, row " + rr);
        }
        int grain = ours.rowGrain(), paddedRows = (rows + grain - 1) / grain * grain;
        // 6 bits a level, 8 per 16 columns, 32 per 256: 6.625 bits a weight, rows padded to whole groups
        assertEquals((long) paddedRows * cols * 53 / 64, ours.bytes(), "6.625 bits a weight");
    }

    /**
     * Every batched path gives {@code m.dot}'s float bit for bit, for inputs {@code x} from offset 1 ({@code tokens}
     * rows of the matrix's width): dot4 and dotTokens at a stride that is not the row length (an FFN's tokens inside
     * a wider batch), dotRowRange for 1, 3 and {@code tokens} tokens, and dotRows.
     */
    static void everyPathIsDot(Matrix m, float[] x, int tokens) {
        int rows = m.rows(), cols = m.cols();
        for (int rr = 0; rr < rows; rr++) {
            // tokens a stride apart that is not the row length (an FFN's tokens inside a wider batch)
            int stride = cols - 5, count = tokens - 1;
            float[] four = new float[4];
            m.dot4(rr, x, 1, stride, four);
            float[] many = new float[2 * count];
            m.dotTokens(rr, x, 1, stride, count, many, 1, 2);
            for (int t = 0; t < count; t++) {
                int dot = Float.floatToIntBits(m.dot(rr, x, 1 + t * stride));
                if (t < 4) {
                    assertEquals(dot, Float.floatToIntBits(four[t]), "dot4 token " + t + " row " + rr);
                }
                assertEquals(dot, Float.floatToIntBits(many[1 + 2 * t]), "dotTokens token " + t + " row " + rr);
            }
        }
        // row ranges as the engine asks for them: a decode step's chunk (one token), a short batch, a prompt's
        for (int n : new int[]{1, 3, tokens}) {
            int from = rows > 2 ? 1 : 0, to = rows;
            float[] out = new float[n * rows + 5];
            m.dotRowRange(from, to, x, 1, n, out, 5, rows);
            for (int t = 0; t < n; t++) {
                for (int rr = from; rr < to; rr++) {
                    assertEquals(Float.floatToIntBits(m.dot(rr, x, 1 + t * cols)), Float.floatToIntBits(out[5 + rr + t * rows]),
                            n + " tokens, token " + t + " row " + rr);
                }
            }
        }
        float[] out = new float[rows];
        m.dotRows(0, rows, x, 1, out, 0);
        for (int rr = 0; rr < rows; rr++) {
            assertEquals(Float.floatToIntBits(m.dot(rr, x, 1)), Float.floatToIntBits(out[rr]), "dotRows row " + rr);
        }
    }

    private static float blockMaxAbs(float[] x, int from) {
        float max = 0;
        for (int c = from; c < from + 32; c++) {
            max = Math.max(max, Math.abs(x[c]));
        }
        return max;
    }

    /** q4 has no room for Q5_K's fifth bit, nor int8 and q4 for Q6_K's 16-column scales: those are requantized. */
    @Test
    void formatsChoseTheLayoutThatKeepsTheValues() {
        SplittableRandom r = new SplittableRandom(3);
        Matrix q4k = GgmlMatrixTest.matrix(DType.Q4_K, segment(GgmlMatrixTest.randomBlocks(DType.Q4_K, 2, r)), 2, 256);
        Matrix q5k = GgmlMatrixTest.matrix(DType.Q5_K, segment(GgmlMatrixTest.randomBlocks(DType.Q5_K, 2, r)), 2, 256);
        Matrix q6k = GgmlMatrixTest.matrix(DType.Q6_K, segment(GgmlMatrixTest.randomBlocks(DType.Q6_K, 2, r)), 2, 256);
        Matrix q80 = GgmlMatrixTest.matrix(DType.Q8_0, segment(GgmlMatrixTest.randomBlocks(DType.Q8_0, 2, r)), 2, 32);
        Matrix q40 = GgmlMatrixTest.matrix(DType.Q4_0, segment(GgmlMatrixTest.randomBlocks(DType.Q4_0, 2, r)), 2, 32);
        Matrix bf16 = new Bf16Matrix(ARENA.allocate(2 * 32 * 2), 2, 32);
        Matrix f32 = F32Matrix.of(new float[64], 2, 32);

        assertInstanceOf(Q4Matrix.class, WeightFormat.Q4.quantize(q5k, ARENA));
        assertInstanceOf(Q4Matrix.class, WeightFormat.Q4.quantize(q6k, ARENA));
        assertInstanceOf(Q4A8Matrix.class, WeightFormat.Q4A8.quantize(q5k, ARENA));
        assertInstanceOf(Q4A8Matrix.class, WeightFormat.Q4A8.quantize(q6k, ARENA));
        assertEquals("q4a8+min", WeightFormat.Q4A8.quantize(q4k, ARENA).format());
        assertInstanceOf(Int8Matrix.class, WeightFormat.INT8.quantize(q6k, ARENA));
        assertSame(q4k, WeightFormat.STORED.quantize(q4k, ARENA));

        assertEquals("q4+min", WeightFormat.AUTO.quantize(q4k, ARENA).format());
        assertEquals("int8+min", WeightFormat.AUTO.quantize(q5k, ARENA).format());
        assertInstanceOf(Q6Matrix.class, WeightFormat.AUTO.quantize(q6k, ARENA));
        assertInstanceOf(Int8Matrix.class, WeightFormat.AUTO.quantize(q80, ARENA));
        assertInstanceOf(Q4Matrix.class, WeightFormat.AUTO.quantize(q40, ARENA));
        assertInstanceOf(Bf16PanelMatrix.class, WeightFormat.AUTO.quantize(bf16, ARENA));
        assertSame(f32, WeightFormat.AUTO.quantize(f32, ARENA));
        assertEquals(WeightFormat.AUTO, WeightFormat.of("AUTO"));
    }
}

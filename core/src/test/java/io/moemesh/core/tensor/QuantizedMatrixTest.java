package io.moemesh.core.tensor;

import io.moemesh.core.weights.Numerics;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * int8 and q4 weights: kernel against scalar twin, dequantized rows against the twin, and the quantization
 * error against the float weights they came from, on sizes that are multiples of neither 32 nor the vector width.
 */
class QuantizedMatrixTest {
    private static final Arena ARENA = Arena.ofAuto();

    /** Gaussian weights of varying spread per row, with an outlier now and then and an all-zero block. */
    static float[] weights(int rows, int cols, SplittableRandom r) {
        float[] w = new float[rows * cols];
        for (int row = 0; row < rows; row++) {
            double spread = Math.pow(10, -4 + 4 * r.nextDouble());   // 1e-4 .. 1: fp16 scales down to subnormal
            for (int c = 0; c < cols; c++) {
                double v = r.nextGaussian() * spread;
                w[row * cols + c] = (float) (r.nextInt(50) == 0 ? v * 20 : v);
            }
        }
        for (int c = 0; c < Math.min(cols, 32); c++) {
            w[c] = 0;   // block 0 of row 0
        }
        return w;
    }

    static Matrix quantize(String format, Matrix source) {
        return WeightFormat.of(format).quantize(source, ARENA);
    }

    static float scale(Matrix m, int row, int block) {
        return ((BlockLevels) m).scale(row, block);
    }

    @ParameterizedTest
    @CsvSource({"int8,37,45", "int8,3,161", "int8,129,1000", "int8,2,31", "int8,1,64", "int8,5,17",
            "q4,37,45", "q4,3,161", "q4,129,1000", "q4,2,31", "q4,1,64", "q4,5,17", "q4,4,384", "q4,3,2048",
            "int8,300,45", "int8,257,70"})
    void kernelMatchesScalarTwinAndRows(String format, int rows, int cols) {
        SplittableRandom r = new SplittableRandom(rows * 1009L + cols + format.hashCode());
        Matrix w = quantize(format, F32Matrix.of(weights(rows, cols, r), rows, cols));
        assertEquals(format, w.format());
        int tokens = 3;
        float[] x = new float[tokens * cols];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        float[] row = new float[cols];
        float[] kernels = io.moemesh.core.kernel.MatMul.vector().apply(w, x, tokens);
        for (int rr = 0; rr < rows; rr++) {
            w.row(rr, row, 0);
            for (int t = 0; t < tokens; t++) {
                int off = t * cols;
                float reference = w.dotReference(rr, x, off);
                // the twin is exactly Σ row[c]·x[c] in column order: row() dequantizes what the twin multiplies
                float viaRow = 0;
                for (int c = 0; c < cols; c++) {
                    viaRow += row[c] * x[off + c];
                }
                assertEquals(reference, viaRow, 0f, format + " row " + rr + " token " + t);
                // the kernel sums other terms in another order (blocks; q4 multiplies 1.53 + level/16 or /256 and
                // subtracts 1.53·Σx per block): float rounding only, relative to the terms it adds
                double absTerms = KernelTerms.of(w, rr, x, off);
                float fast = w.dot(rr, x, off);
                // dot does the kernels' operations one row at a time: the very same float
                assertEquals(Float.floatToIntBits(fast), Float.floatToIntBits(kernels[t * rows + rr]),
                        format + " [" + rr + "," + t + "]: dot " + fast + " vs kernels " + kernels[t * rows + rr]);
                assertTrue(Math.abs(fast - reference) <= 1e-5 * absTerms,
                        format + " [" + rr + "," + t + "]: " + fast + " vs reference " + reference + " (Σ|terms| " + absTerms + ")");
            }
        }
    }

    /**
     * q4's decode kernel reads scaled copies of the input (x·2^100 where its values are subnormal: {@link Q4Kernel});
     * inputs too large or (converting) too small for them take the many-token path instead. Either way one token gets
     * what {@code dot} computes, bit for bit, for inputs from 1e-30 to 2^40 (past the copies' limits, 2^23 and 2^-77);
     * so does each token of a batch of three.
     */
    @ParameterizedTest
    @CsvSource({"1e-30", "1e-6", "1", "1e6", "1.1e12"})
    void q4DecodeKernelTakesInputsOfAnySize(float magnitude) {
        int rows = 130, cols = 200;
        SplittableRandom r = new SplittableRandom(7);
        Matrix w = quantize("q4", F32Matrix.of(weights(rows, cols, r), rows, cols));
        float[] x = new float[cols];
        for (int c = 0; c < cols; c++) {
            x[c] = (float) (r.nextGaussian() * magnitude);
        }
        float[] one = io.moemesh.core.kernel.MatMul.vector().apply(w, x, 1);
        for (int row = 0; row < rows; row++) {
            float dot = w.dot(row, x, 0);
            assertEquals(Float.floatToIntBits(dot), Float.floatToIntBits(one[row]), "row " + row + ": " + one[row] + " vs dot " + dot);
            assertTrue(Math.abs(dot - w.dotReference(row, x, 0)) <= 1e-5 * KernelTerms.of(w, row, x, 0), "row " + row);
            assertTrue(Float.isFinite(dot) && (dot != 0 || magnitude < 1e-20), "row " + row + ": " + dot);
        }
        // three tokens (streamed two at a time, or all by the many-token path where one token's copies cannot hold
        // it): the middle one of this size, the others ordinary
        float[] three = new float[3 * cols];
        for (int i = 0; i < three.length; i++) {
            three[i] = i / cols == 1 ? x[i - cols] : (float) r.nextGaussian();
        }
        float[] batch = io.moemesh.core.kernel.MatMul.vector().apply(w, three, 3);
        for (int t = 0; t < 3; t++) {
            for (int row = 0; row < rows; row++) {
                float dot = w.dot(row, three, t * cols);
                assertEquals(Float.floatToIntBits(dot), Float.floatToIntBits(batch[t * rows + row]),
                        "token " + t + " row " + row + ": " + batch[t * rows + row] + " vs dot " + dot);
            }
        }
    }

    /**
     * int8: every weight within scale / 2 of its original, and the scale no bigger than max|w| / 127 rounded up
     * to fp16 (else a huge scale with all-zero quants would pass the first check).
     */
    @ParameterizedTest
    @CsvSource({"37,45", "3,161", "129,1000", "2,31"})
    void int8ErrorIsHalfAStep(int rows, int cols) {
        float[] original = weights(rows, cols, new SplittableRandom(rows * 7L + cols));
        Matrix q = quantize("int8", F32Matrix.of(original, rows, cols));
        float[] row = new float[cols];
        for (int r = 0; r < rows; r++) {
            q.row(r, row, 0);
            for (int b = 0; b * 32 < cols; b++) {
                float scale = scale(q, r, b);
                double max = 0;
                for (int c = b * 32; c < Math.min(cols, b * 32 + 32); c++) {
                    max = Math.max(max, Math.abs(original[r * cols + c]));
                    double error = Math.abs(original[r * cols + c] - row[c]);
                    assertTrue(error <= scale * (0.5 + 1e-6), "[" + r + "][" + c + "] error " + error + " scale " + scale);
                }
                assertTrue(scale >= max / 127 && scale <= max / 127 * (1 + 0x1p-10) + 0x1p-24,
                        "block [" + r + "][" + b + "] scale " + scale + " for max " + max);
            }
        }
    }

    /**
     * q4: a weight inside its block's grid [-8, 7]·scale (± half a step) is within |scale| / 2 of its original; one
     * outside is clipped to the grid's end, off by exactly its distance to it, under 2·|scale| (the scale search
     * spans the largest weight m over 7 to 9 steps). So |m| / 9 ≤ |scale| ≤ |m| / 7, fp16 rounding aside.
     */
    @ParameterizedTest
    @CsvSource({"37,45", "3,161", "129,1000", "2,31"})
    void q4ErrorIsHalfAStepInsideTheGrid(int rows, int cols) {
        float[] original = weights(rows, cols, new SplittableRandom(rows * 13L + cols));
        Matrix q = quantize("q4", F32Matrix.of(original, rows, cols));
        float[] row = new float[cols];
        for (int r = 0; r < rows; r++) {
            q.row(r, row, 0);
            for (int b = 0; b * 32 < cols; b++) {
                float scale = scale(q, r, b);
                double step = Math.abs(scale);
                double low = Math.min(-8 * (double) scale, 7 * (double) scale);
                double high = Math.max(-8 * (double) scale, 7 * (double) scale);
                float m = 0;
                for (int c = b * 32; c < Math.min(cols, b * 32 + 32); c++) {
                    float w = original[r * cols + c];
                    m = Math.abs(w) > Math.abs(m) ? w : m;
                    double error = Math.abs(w - row[c]);
                    double outside = Math.max(low - w, w - high);
                    String where = "[" + r + "][" + c + "] error " + error + " scale " + scale;
                    if (outside <= step / 2) {
                        assertTrue(error <= step * (0.5 + 1e-6), "inside " + where);
                    } else {
                        assertTrue(error <= outside * (1 + 1e-6) && error < 2 * step, "clipped " + where);
                    }
                }
                assertTrue(step >= Math.abs(m) / 9 && step <= Math.abs(m) / 7 * (1 + 0x1p-10) + 0x1p-24,
                        "block [" + r + "][" + b + "] scale " + scale + " for largest weight " + m);
                if (m != 0) {
                    assertTrue(scale < 0 == m > 0, "the grid's extra level is on the side of the largest weight");
                }
            }
        }
    }

    /**
     * The scale search is what justifies not using plain Q4_0 (scale = -m / 8): on Gaussian weights it must cut
     * the squared error clearly (about 10%; 5% required), measured per block relative to the block's energy.
     */
    @Test
    void q4ScaleSearchBeatsPlainQ40() {
        int rows = 256, cols = 1024;
        SplittableRandom r = new SplittableRandom(42);
        float[] original = new float[rows * cols];
        for (int i = 0; i < original.length; i++) {
            original[i] = (float) (r.nextGaussian() * 0.02);
        }
        Matrix q = quantize("q4", F32Matrix.of(original, rows, cols));
        float[] row = new float[cols];
        double searched = 0, plain = 0;
        for (int rr = 0; rr < rows; rr++) {
            q.row(rr, row, 0);
            for (int from = 0; from < cols; from += 32) {
                float m = 0;
                double energy = 0, error = 0, q40Error = 0;
                for (int c = from; c < from + 32; c++) {
                    float w = original[rr * cols + c];
                    m = Math.abs(w) > Math.abs(m) ? w : m;
                    energy += w * w;
                    error += Math.pow(w - row[c], 2);
                }
                float q40 = m / -8;   // float scale, a shade better than Q4_0's fp16 one
                for (int c = from; c < from + 32; c++) {
                    float w = original[rr * cols + c];
                    q40Error += Math.pow(w - Math.clamp(Math.round(w / q40), -8, 7) * q40, 2);
                }
                searched += error / energy;
                plain += q40Error / energy;
            }
        }
        assertTrue(searched <= 0.95 * plain, "q4 relative squared error " + searched + " vs plain Q4_0 " + plain);
    }

    @Test
    void quantizesBf16CheckpointWeights() {
        int rows = 9, cols = 70;
        SplittableRandom r = new SplittableRandom(5);
        MemorySegment s = ARENA.allocate((long) rows * cols * 2);
        for (long i = 0; i < (long) rows * cols; i++) {
            s.setAtIndex(Numerics.I16, i, Numerics.floatToBf16((float) (r.nextGaussian() * 0.02)));
        }
        Bf16Matrix bf16 = new Bf16Matrix(s, rows, cols);
        float[] original = new float[cols], row = new float[cols];
        for (String format : new String[]{"int8", "q4"}) {
            Matrix q = quantize(format, bf16);
            for (int rr = 0; rr < rows; rr++) {
                bf16.row(rr, original, 0);
                q.row(rr, row, 0);
                for (int c = 0; c < cols; c++) {
                    assertTrue(Math.abs(original[c] - row[c]) <= 2 * Math.abs(scale(q, rr, c / 32)), format);
                }
            }
        }
        assertEquals(bf16, WeightFormat.STORED.quantize(bf16, ARENA));
    }

    /**
     * Exact sizes: int8 is 34 bytes per 32 weights (fp16 scale), q4 18; both pad their rows to whole groups of 8
     * float lanes' worth of rows (128 with AVX-512) and their columns to whole blocks.
     */
    @Test
    void bytesCountScales() {
        F32Matrix m = F32Matrix.of(new float[2048 * 768], 2048, 768);
        assertEquals(2048L * 768 * 34 / 32, quantize("int8", m).bytes());
        assertEquals(2048L * 768 * 18 / 32, quantize("q4", m).bytes());
        F32Matrix odd = F32Matrix.of(new float[3 * 45], 3, 45);
        assertEquals(Q4Matrix.GROUP_ROWS * (64L + 2 * 2), quantize("int8", odd).bytes());
        assertEquals(Q4Matrix.GROUP_ROWS * (64L / 2 + 2 * 2), quantize("q4", odd).bytes());
    }

    /** q4's levels start 64 bytes past a multiple of 256, where its decode kernel reads them at full speed. */
    @Test
    void q4LevelsStartAwayFromMultiplesOf256() {
        try (Arena arena = Arena.ofConfined()) {
            for (int i = 0; i < 20; i++) {
                // sizes that leave malloc's addresses at every offset a 16-byte alignment allows
                arena.allocate(16 * i + 1, 16);
                Q4Matrix q = (Q4Matrix) quantize("q4", F32Matrix.of(new float[130 * 70], 130, 70));
                Q4Matrix copy = q.copy(arena);
                assertEquals(64, q.levels().address() % 256, "quantized");
                assertEquals(64, copy.levels().address() % 256, "copied");
            }
        }
    }

    /**
     * {@code --weights bf16} lays the checkpoint's bf16 values out in row panels without changing one: every row
     * reads back bit for bit, padding costs whole groups of rows and blocks of columns, and "stored" stays the
     * checkpoint's own matrix.
     */
    @Test
    void bf16PanelsKeepEveryStoredValue() {
        int rows = 130, cols = 77;
        SplittableRandom r = new SplittableRandom(5);
        MemorySegment data = ARENA.allocate(rows * cols * 2L);
        for (int i = 0; i < rows * cols; i++) {
            data.setAtIndex(Numerics.I16, i, Numerics.floatToBf16((float) (r.nextGaussian() * Math.pow(10, -6 + 8 * r.nextDouble()))));
        }
        Bf16Matrix stored = new Bf16Matrix(data, rows, cols);
        assertEquals(WeightFormat.BF16, WeightPlan.parse("bf16").formatFor("model.layers.0.mlp.experts.1.up_proj.weight"));
        Matrix panels = WeightFormat.of("bf16").quantize(stored, ARENA);
        assertTrue(panels instanceof Bf16PanelMatrix, panels.getClass().getSimpleName());
        assertEquals("bf16", panels.format());
        float[] expected = new float[cols], actual = new float[cols];
        for (int row = 0; row < rows; row++) {
            stored.row(row, expected, 0);
            panels.row(row, actual, 0);
            for (int c = 0; c < cols; c++) {
                assertEquals(Float.floatToIntBits(expected[c]), Float.floatToIntBits(actual[c]), "[" + row + "][" + c + "]");
            }
        }
        int groups = (rows + Q4Matrix.GROUP_ROWS - 1) / Q4Matrix.GROUP_ROWS;
        assertEquals(groups * Q4Matrix.GROUP_ROWS * 96L * 2, panels.bytes());
        assertEquals(stored, WeightFormat.STORED.quantize(stored, ARENA));
    }

    /**
     * q4's kernels convert fp16 scales eight vectors at a time by moving bits (no fp16 conversion in the Vector
     * API): every finite fp16, subnormals and both zeros included, must come out as Float.float16ToFloat gives it.
     * Each row is one Q4_0 block with that scale and level 1 in column 0, times x = (1, 0, ...): the product is
     * the scale itself (plus zero, which turns -0 into 0).
     */
    @Test
    void q4KernelsConvertEveryFiniteFp16Scale() {
        java.util.List<Short> finite = new java.util.ArrayList<>();
        for (int h = 0; h < 0x10000; h++) {
            if ((h & 0x7C00) != 0x7C00) {
                finite.add((short) h);
            }
        }
        int rows = finite.size();
        MemorySegment blocks = ARENA.allocate(rows * 18L);
        for (int r = 0; r < rows; r++) {
            blocks.set(Numerics.I16, r * 18L, finite.get(r));
            blocks.set(java.lang.foreign.ValueLayout.JAVA_BYTE, r * 18L + 2, (byte) 0x89);   // column 0: q 9, level 1
            for (int j = 1; j < 16; j++) {
                blocks.set(java.lang.foreign.ValueLayout.JAVA_BYTE, r * 18L + 2 + j, (byte) 0x88);   // level 0
            }
        }
        Matrix q4 = quantize("q4", GgmlQ4Matrix.ggml(blocks, rows, 32));
        float[] x = new float[3 * 32];
        x[0] = 1;
        x[32] = 1;
        x[64] = 1;
        float[] one = io.moemesh.core.kernel.MatMul.vector().apply(q4, x, 1);
        float[] three = io.moemesh.core.kernel.MatMul.vector().apply(q4, x, 3);
        for (int r = 0; r < rows; r++) {
            int expected = Float.floatToIntBits(0f + Float.float16ToFloat(finite.get(r)));
            String what = "fp16 0x" + Integer.toHexString(finite.get(r) & 0xFFFF);
            assertEquals(expected, Float.floatToIntBits(one[r]), what);
            for (int t = 0; t < 3; t++) {
                assertEquals(expected, Float.floatToIntBits(three[t * rows + r]), what + ", token " + t + " of 3");
            }
        }
    }

    /**
     * q4's scale search scores each candidate scale with a vector kernel; it must score as the scalar sum does (up to
     * summation order), on random blocks with the candidate scales the search tries, clipped weights included.
     */
    @Test
    void q4BlockErrorMatchesScalarTwin() {
        SplittableRandom r = new SplittableRandom(11);
        float[] w = new float[32 * 200];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) (r.nextGaussian() * Math.pow(10, -4 + 4 * r.nextDouble()));
        }
        for (int b = 0; b < 200; b++) {
            float m = 0;
            for (int c = b * 32; c < b * 32 + 32; c++) {
                m = Math.max(m, Math.abs(w[c]));
            }
            for (float steps : new float[]{7f, 8f, 9f, 5f}) {   // 5: many weights clip
                float scale = Float.float16ToFloat(QuantBlocks.fp16AtLeast(m / steps)) * (r.nextBoolean() ? 1 : -1);
                float scalar = Q4Matrix.error(w, b * 32, b * 32 + 32, scale);
                float vector = Q4Matrix.blockError(w, b * 32, scale);
                assertEquals(scalar, vector, 1e-5f * scalar + 1e-30f, "block " + b + " steps " + steps);
            }
        }
    }

    @Test
    void rejectsWhatItCannotQuantize() {
        float[] w = new float[40];
        w[33] = Float.NaN;
        assertThrows(IllegalArgumentException.class, () -> quantize("int8", F32Matrix.of(w, 1, 40)));
        w[33] = 1e9f;   // scale 1e9 / 127 is past fp16's 65504
        assertThrows(IllegalArgumentException.class, () -> quantize("int8", F32Matrix.of(w, 1, 40)));
        assertThrows(IllegalArgumentException.class, () -> WeightFormat.of("int4"));
    }
}

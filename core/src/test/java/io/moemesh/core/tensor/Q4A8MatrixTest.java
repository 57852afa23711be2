package io.moemesh.core.tensor;

import io.moemesh.core.kernel.MatMul;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * q4a8 ({@link Q4A8Matrix}, {@link Int8Inputs}): the inputs' quantization in lanes against one value at a time and
 * against its bound, the 16-bit sums where they wrap, and the weights against q4's and a GGUF file's. The kernels
 * against the scalar twin, bit for bit, and batches against one token are in MatMulTest; the accuracy on the
 * reference fixtures in QuantizedWeightsAccuracyTest.
 */
class Q4A8MatrixTest {
    private static final Arena ARENA = Arena.ofAuto();

    /** Inputs of the given magnitude, with ties (x exactly k + 1/2 steps), zeros, a zero block and a partial block. */
    private static float[] inputs(int cols, float magnitude, SplittableRandom r) {
        float[] x = new float[cols];
        for (int c = 0; c < cols; c++) {
            x[c] = (float) (r.nextGaussian() * magnitude);
        }
        for (int c = 32; c < Math.min(cols, 64); c++) {
            x[c] = 0;
        }
        if (cols > 96) {   // block 2: max 127 → step 1, so these sit exactly halfway between two levels
            x[64] = 127;
            x[65] = 2.5f;
            x[66] = -2.5f;
            x[67] = 0.5f;
            x[68] = -0.5f;
        }
        return x;
    }

    @ParameterizedTest
    @ValueSource(floats = {1e-30f, 1e-3f, 1f, 1e4f, 1e30f})
    void inputsQuantizedInLanesEqualOneAtATimeWithinHalfAStep(float magnitude) {
        SplittableRandom r = new SplittableRandom(Float.floatToIntBits(magnitude));
        int cols = 1000, blocks = QuantBlocks.blocks(cols), tokens = 3;
        float[] x = new float[tokens * cols];
        for (int t = 0; t < tokens; t++) {
            System.arraycopy(inputs(cols, magnitude, r), 0, x, t * cols, cols);
        }
        Int8Inputs in = Int8Inputs.quantize(x, 0, cols, tokens);
        short[] q = new short[32];
        float[] step = new float[1];
        short[] start = new short[1];
        for (int t = 0; t < tokens; t++) {
            for (int b = 0; b < blocks; b++) {
                int from = t * cols + b * 32, width = Math.min(32, cols - b * 32), block = t * blocks + b;
                Int8Inputs.quantizeBlock(x, from, width, q, 0, step, start, 0);
                assertEquals(Float.floatToIntBits(step[0]), Float.floatToIntBits(in.steps[block]), "step, block " + block);
                assertEquals(start[0], in.starts[block], "start, block " + block);
                int sum = 0;
                for (int c = 0; c < 32; c++) {
                    short lane = in.q[block * 32 + c];
                    assertEquals(q[c], lane, "block " + block + " column " + c);
                    assertTrue(Math.abs(lane) <= 127, "|q| " + lane);
                    sum += lane;
                    if (c < width) {
                        double off = Math.abs((double) lane * in.steps[block] - x[from + c]);
                        assertTrue(off <= in.steps[block] * (0.5 + 1e-5), "x " + x[from + c] + " as " + lane
                                + " steps of " + in.steps[block] + ": off by " + off);
                    } else {
                        assertEquals(0, lane, "padding");
                    }
                }
                assertEquals((short) (-8 * sum), in.starts[block]);
            }
            assertEquals(0f, in.steps[t * blocks + 1], "a block of zeros");
            if (magnitude == 1f) {   // the ties round away from zero
                short[] tied = java.util.Arrays.copyOfRange(in.q, (t * blocks + 2) * 32, (t * blocks + 2) * 32 + 5);
                assertArrayEquals(new short[]{127, 3, -3, 1, -1}, tied);
            }
        }
    }

    /** NaN, infinities and −0 quantize in lanes as one value at a time does: a NaN or an infinity spoils its block. */
    @Test
    void inputsThatAreNotFiniteQuantizeAlikeInLanes() {
        float[] x = new float[4 * 32];
        Arrays.fill(x, 0.25f);
        x[3] = Float.NaN;
        x[32 + 7] = Float.NEGATIVE_INFINITY;
        Arrays.fill(x, 64, 96, -0f);
        x[96 + 31] = Float.POSITIVE_INFINITY;
        Int8Inputs in = Int8Inputs.quantize(x, 0, x.length, 1);
        short[] q = new short[32];
        float[] step = new float[1];
        short[] start = new short[1];
        for (int b = 0; b < 4; b++) {
            Int8Inputs.quantizeBlock(x, b * 32, 32, q, 0, step, start, 0);
            assertEquals(Float.floatToIntBits(step[0]), Float.floatToIntBits(in.steps[b]), "step, block " + b);
            assertArrayEquals(q, Arrays.copyOfRange(in.q, b * 32, b * 32 + 32), "block " + b);
        }
        assertTrue(Float.isNaN(in.steps[0]) && Float.isInfinite(in.steps[1]) && in.steps[2] == 0, Arrays.toString(in.steps));
    }

    /**
     * Weights at the grid's ends and inputs at ±127 steps: Σ u·q runs past 2^15 in a 16-bit lane and wraps, and
     * Σ level·q comes back exact, as exact arithmetic over the same levels, steps and scales says.
     */
    @Test
    void sixteenBitSumsWrapAndComeBackExact() {
        int rows = 200, cols = 96, blocks = cols / 32;
        SplittableRandom r = new SplittableRandom(11);
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) {
            // levels −8 and 7 at scale 1; even rows −8 then 31 sevens a block, whose u = 15 times q = 127 wraps
            w[i] = i / cols % 2 == 0 ? (i % 32 == 0 ? -8 : 7) : r.nextBoolean() ? -8 : 7;
        }
        Q4A8Matrix m = Q4A8Matrix.quantize(new F32Matrix(f32(w), rows, cols), ARENA);
        int tokens = 6;
        float[] x = new float[tokens * cols];
        for (int i = 0; i < x.length; i++) {
            x[i] = i / cols % 2 == 0 || r.nextBoolean() ? 1 : -1;   // q = ±127, step 1/127; even tokens all +127
        }
        float[] out = MatMul.vector().apply(m, x, tokens);
        boolean wrapped = false;
        for (int t = 0; t < tokens; t++) {
            for (int row = 0; row < rows; row++) {
                double exact = 0;
                for (int b = 0; b < blocks; b++) {
                    long sum = 0, unsigned = 0;
                    for (int c = b * 32; c < b * 32 + 32; c++) {
                        int q = x[t * cols + c] > 0 ? 127 : -127;
                        sum += (long) m.level(row, c) * q;
                        unsigned += (long) (m.level(row, c) + 8) * q;
                    }
                    wrapped |= Math.abs(unsigned) > Short.MAX_VALUE;
                    exact += sum * (double) (m.scale(row, b) * (1f / 127));
                }
                assertEquals(exact, out[t * rows + row], 1e-5 * (1 + Math.abs(exact)), "token " + t + " row " + row);
            }
        }
        assertTrue(wrapped, "no block's Σ u·q left the 16-bit range: the case does not test the wrap");
    }

    @Test
    void holdsQ4sLevelsAndScales() {
        SplittableRandom r = new SplittableRandom(3);
        int rows = 130, cols = 77;
        Matrix source = new F32Matrix(f32(QuantizedMatrixTest.weights(rows, cols, r)), rows, cols);
        Matrix q4 = WeightFormat.Q4.quantize(source, ARENA), q4a8 = WeightFormat.Q4A8.quantize(source, ARENA);
        assertEquals("q4a8", q4a8.format());
        float[] a = new float[cols], b = new float[cols];
        for (int row = 0; row < rows; row++) {
            q4.row(row, a, 0);
            q4a8.row(row, b, 0);
            assertArrayEquals(a, b, "row " + row);
        }
        assertEquals(q4.bytes(), q4a8.bytes(), "4.5 bits a weight, rows padded to whole groups, as q4");
    }

    /** A GGUF Q4_0 tensor's blocks, repacked: every weight the same value, and the same kernel results as from q4's. */
    @Test
    void repacksGgufQ4_0Exactly() {
        SplittableRandom r = new SplittableRandom(8);
        int rows = 5, blocksPerRow = 4, cols = 32 * blocksPerRow;
        MemorySegment data = ARENA.allocate((long) rows * blocksPerRow * 18);
        for (long block = 0; block < (long) rows * blocksPerRow; block++) {
            data.set(ValueLayout.JAVA_SHORT_UNALIGNED, block * 18, Float.floatToFloat16((float) (0.001 + r.nextDouble() * 0.1)));
            for (int i = 2; i < 18; i++) {
                data.set(ValueLayout.JAVA_BYTE, block * 18 + i, (byte) r.nextInt(256));
            }
        }
        GgmlQ4Matrix ggml = GgmlQ4Matrix.ggml(data, rows, cols);
        Matrix ours = WeightFormat.Q4A8.quantize(ggml, ARENA);
        assertTrue(ours instanceof Q4A8Matrix, ours.getClass().getSimpleName());
        float[] expected = new float[cols], actual = new float[cols];
        for (int row = 0; row < rows; row++) {
            ggml.row(row, expected, 0);
            ours.row(row, actual, 0);
            assertArrayEquals(expected, actual, "row " + row);
        }
    }

    private static MemorySegment f32(float[] w) {
        MemorySegment s = ARENA.allocate((long) w.length * 4, 64);
        MemorySegment.copy(w, 0, s, ValueLayout.JAVA_FLOAT_UNALIGNED, 0, w.length);
        return s;
    }
}

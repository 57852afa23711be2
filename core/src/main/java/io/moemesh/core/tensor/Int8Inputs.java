package io.moemesh.core.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

import static io.moemesh.core.tensor.QuantBlocks.BLOCK;
import static io.moemesh.core.tensor.QuantBlocks.F;

/**
 * The inputs of {@link Q4A8Matrix}'s kernels: each token's x quantized per block of 32 columns to integers
 * q ∈ [-127, 127] with one float step d per block (x ≈ q·d), as llama.cpp quantizes activations to Q8_0 before its
 * Q4_0 dot products (it keeps d in fp16; a float costs nothing here). With m = max |x| over the block, d = m / 127
 * and q = trunc(x·(127 / m) ± 0.5): the nearest integer, ties away from zero. A block of zeros has d = 0 and q = 0.
 *
 * <p>{@link #quantize} does it in vector lanes for whole blocks and {@link #quantizeBlock} one value at a time for a
 * partial last block and the scalar twin: the same float operations, so the same q and d. For each block it also
 * keeps −8·Σq, where q4a8's 16-bit sums start ({@link Q4A8Matrix}).
 */
final class Int8Inputs {
    /** Largest |q|. */
    static final int MAX_LEVEL = 127;
    private static final int SIGN = 0x80000000, MAGNITUDE = 0x7FFFFFFF, HALF = Float.floatToRawIntBits(0.5f);

    /** Blocks of a token's inputs, {@code steps[b]}, with the quantized values {@code q[b·32 ...]}, zero-padded. */
    short[] q = new short[0];
    float[] steps = new float[0];
    /** −8·Σq of each block, as a 16-bit integer (it may wrap; the sums it starts wrap back: {@link Q4A8Matrix}). */
    short[] starts = new short[0];

    private static final ThreadLocal<Int8Inputs> PER_THREAD = ThreadLocal.withInitial(Int8Inputs::new);

    /**
     * {@code tokens} inputs (token t's x[xOffset + t·cols ...]) quantized into this thread's buffers: token t's q at
     * [t·blocks·32, ...), its steps and starts at [t·blocks, ...).
     */
    static Int8Inputs quantize(float[] x, int xOffset, int cols, int tokens) {
        int blocks = QuantBlocks.blocks(cols), full = cols / BLOCK;
        Int8Inputs in = PER_THREAD.get().fit(tokens * blocks);
        for (int t = 0; t < tokens; t++) {
            int at = xOffset + t * cols, b = t * blocks;
            for (int k = 0; k < full; k++, at += BLOCK, b++) {
                wholeBlock(x, at, in, b);
            }
            if (full < blocks) {
                quantizeBlock(x, at, cols - full * BLOCK, in.q, b * BLOCK, in.steps, in.starts, b);
            }
        }
        return in;
    }

    private Int8Inputs fit(int blocks) {
        if (steps.length < blocks) {
            q = new short[blocks * BLOCK];
            steps = new float[blocks];
            starts = new short[blocks];
        }
        return this;
    }

    /**
     * One whole block x[at, at + 32) into block b of {@code in}, in vector lanes. The largest magnitude is taken over
     * the values' bits with the sign cleared, as ints: for floats that are not negative the bits order as the values
     * do (a NaN's above infinity's, so a NaN still wins), and an int maximum needs none of the NaN and −0 handling of
     * a float one: 0.40 → 0.24 ns a value, measured, most of it the reductions.
     */
    private static void wholeBlock(float[] x, int at, Int8Inputs in, int b) {
        IntVector max = IntVector.zero(RowPanels.I);
        for (int v = 0; v < BLOCK; v += F.length()) {
            max = max.max(FloatVector.fromArray(F, x, at + v).reinterpretAsInts().and(MAGNITUDE));
        }
        float m = Float.intBitsToFloat(max.reduceLanes(VectorOperators.MAX));
        float perStep = m == 0 ? 0 : MAX_LEVEL / m;
        IntVector sum = IntVector.zero(RowPanels.I);
        for (int v = 0; v < BLOCK; v += F.length()) {
            FloatVector w = FloatVector.fromArray(F, x, at + v).mul(perStep);
            FloatVector half = w.reinterpretAsInts().and(SIGN).or(HALF).reinterpretAsFloats();
            IntVector q = (IntVector) w.add(half).convert(VectorOperators.F2I, 0);
            sum = sum.add(q);
            ((ShortVector) q.convertShape(VectorOperators.I2S, RowPanels.S, 0)).intoArray(in.q, b * BLOCK + v);
        }
        in.steps[b] = m / MAX_LEVEL;
        in.starts[b] = (short) (-8 * sum.reduceLanes(VectorOperators.ADD));
    }

    /**
     * The first {@code width} values of x[at ...] as one block, one value at a time, into q[qAt, qAt + 32) (zero past
     * width), steps[b] and starts[b]: what {@link #quantize} gives for them.
     */
    static void quantizeBlock(float[] x, int at, int width, short[] q, int qAt, float[] steps, short[] starts, int b) {
        float m = 0;
        for (int c = 0; c < width; c++) {
            m = Math.max(m, Math.abs(x[at + c]));
        }
        float perStep = m == 0 ? 0 : MAX_LEVEL / m;
        int sum = 0;
        for (int c = 0; c < BLOCK; c++) {
            int level = 0;
            if (c < width) {
                float w = x[at + c] * perStep;
                level = (int) (w + Math.copySign(0.5f, w));
            }
            q[qAt + c] = (short) level;
            sum += level;
        }
        steps[b] = m / MAX_LEVEL;
        starts[b] = (short) (-8 * sum);
    }
}

package io.moemesh.core.tensor;

import jdk.incubator.vector.FloatVector;

import static io.moemesh.core.tensor.QuantBlocks.F;

/**
 * Weights in blocks of 32 columns, each block one scale times small integer levels: our int8 and q4 layouts and
 * llama.cpp's Q8_0 and Q4_0. They share the kernel's shape — Σ over blocks of scale · (Σ level·x), one multiply by
 * the scale per block, blocks alternating between two accumulators so two FMA chains are in flight — and the scalar
 * twin. A layout says only where a block's levels and scale are, and how its levels meet x in vector lanes.
 */
sealed interface ScaledBlocks extends Matrix permits Q8Matrix, Q4Matrix, GgmlQ8_0Matrix, GgmlQ4_0Matrix {
    int BLOCK = QuantBlocks.BLOCK;

    /** Σ level·x over full block {@code block} of {@code row} (x of the row starts at {@code xOffset}), unscaled. */
    FloatVector blockDot(int row, int block, float[] x, int xOffset);

    /**
     * The 32 levels of full block {@code block} of {@code row} as floats, in column order. Each layout's
     * {@link #blockDot} multiplies them with x in that same (ascending) order, one accumulator: so {@link #dot4},
     * which reads the levels once for four tokens, gives each token exactly {@link #dot}'s sum.
     */
    void levels(int row, int block, float[] dst);

    /** The scale of one block. */
    float scale(int row, int block);

    /** The signed integer level of one weight: weight = level · scale of its block. */
    int level(int row, int col);

    /**
     * The blocked sum each layout's {@code dot} writes out (so that its {@code blockDot} inlines): Σ over full blocks
     * of scale · blockDot, blocks alternating between two accumulators; then {@link #partialBlock}.
     */
    @Override
    float dot(int row, float[] x, int xOffset);

    /** Adds the partial last block (fewer than 32 columns, once per row: not worth a masked vector path) to {@code sum}. */
    static float partialBlock(ScaledBlocks m, int row, float[] x, int xOffset, float sum) {
        int cols = m.cols(), full = cols / BLOCK;
        if (full * BLOCK == cols) {
            return sum;
        }
        float partial = 0;
        for (int c = full * BLOCK; c < cols; c++) {
            partial += m.level(row, c) * x[xOffset + c];
        }
        return sum + partial * m.scale(row, full);
    }

    /** Per thread, one block of levels for {@link #dot4}. */
    ThreadLocal<float[]> LEVELS = ThreadLocal.withInitial(() -> new float[BLOCK]);

    /**
     * {@link #dot} for four input rows: a block's levels are widened once and used four times. Same operations per
     * token as {@link #dot} (blocks alternating between two accumulators, ascending columns within a block).
     */
    @Override
    default void dot4(int row, float[] x, int xOffset, int stride, float[] out) {
        int cols = cols(), full = cols / BLOCK, step = F.length();
        int o0 = xOffset, o1 = xOffset + stride, o2 = xOffset + 2 * stride, o3 = xOffset + 3 * stride;
        float[] w = LEVELS.get();
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;   // even blocks
        FloatVector b0 = a0, b1 = a0, b2 = a0, b3 = a0;                    // odd blocks
        for (int b = 0; b < full; b++) {
            levels(row, b, w);
            FloatVector scale = FloatVector.broadcast(F, scale(row, b));
            FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0;
            int c0 = b * BLOCK;
            for (int v = 0; v < BLOCK; v += step) {
                FloatVector lv = FloatVector.fromArray(F, w, v);
                s0 = lv.fma(FloatVector.fromArray(F, x, o0 + c0 + v), s0);
                s1 = lv.fma(FloatVector.fromArray(F, x, o1 + c0 + v), s1);
                s2 = lv.fma(FloatVector.fromArray(F, x, o2 + c0 + v), s2);
                s3 = lv.fma(FloatVector.fromArray(F, x, o3 + c0 + v), s3);
            }
            if ((b & 1) == 0) {
                a0 = s0.fma(scale, a0);
                a1 = s1.fma(scale, a1);
                a2 = s2.fma(scale, a2);
                a3 = s3.fma(scale, a3);
            } else {
                b0 = s0.fma(scale, b0);
                b1 = s1.fma(scale, b1);
                b2 = s2.fma(scale, b2);
                b3 = s3.fma(scale, b3);
            }
        }
        out[0] = VectorMath.sumLanes(a0.add(b0));
        out[1] = VectorMath.sumLanes(a1.add(b1));
        out[2] = VectorMath.sumLanes(a2.add(b2));
        out[3] = VectorMath.sumLanes(a3.add(b3));
        if (full * BLOCK < cols) {
            float scale = scale(row, full);
            for (int k = 0; k < 4; k++) {
                float partial = 0;
                for (int c = full * BLOCK; c < cols; c++) {
                    partial += level(row, c) * x[xOffset + k * stride + c];
                }
                out[k] += partial * scale;
            }
        }
    }

    @Override
    default float dotReference(int row, float[] x, int xOffset) {
        float sum = 0;
        for (int c = 0; c < cols(); c++) {
            sum += level(row, c) * scale(row, c / BLOCK) * x[xOffset + c];
        }
        return sum;
    }

    @Override
    default void row(int row, float[] dst, int dstOffset) {
        for (int c = 0; c < cols(); c++) {
            dst[dstOffset + c] = level(row, c) * scale(row, c / BLOCK);
        }
    }
}

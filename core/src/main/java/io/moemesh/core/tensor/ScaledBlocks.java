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

    /** The scale of one block. */
    float scale(int row, int block);

    /** The signed integer level of one weight: weight = level · scale of its block. */
    int level(int row, int col);

    @Override
    default float dot(int row, float[] x, int xOffset) {
        int cols = cols(), full = cols / BLOCK;
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        int b = 0;
        for (; b + 1 < full; b += 2) {
            acc0 = blockDot(row, b, x, xOffset).fma(FloatVector.broadcast(F, scale(row, b)), acc0);
            acc1 = blockDot(row, b + 1, x, xOffset).fma(FloatVector.broadcast(F, scale(row, b + 1)), acc1);
        }
        if (b < full) {
            acc0 = blockDot(row, b, x, xOffset).fma(FloatVector.broadcast(F, scale(row, b)), acc0);
        }
        float sum = VectorMath.sumLanes(acc0.add(acc1));
        if (full * BLOCK < cols) {
            // the partial last block: fewer than 32 weights, once per row, not worth a masked path
            float partial = 0;
            for (int c = full * BLOCK; c < cols; c++) {
                partial += level(row, c) * x[xOffset + c];
            }
            sum += partial * scale(row, full);
        }
        return sum;
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

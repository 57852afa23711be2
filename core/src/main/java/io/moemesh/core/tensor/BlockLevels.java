package io.moemesh.core.tensor;

/**
 * Weights in blocks of 32 columns, w = level · scale of the block: int8 and q4 however they are laid out. What the
 * layouts share is the meaning of their numbers, so the scalar twin and the dequantized rows are written once here.
 */
sealed interface BlockLevels extends Matrix permits ScaledBlocks, ScaledPanels, Q4A8Matrix {
    int BLOCK = QuantBlocks.BLOCK;

    /** The scale of one block. */
    float scale(int row, int block);

    /** The signed integer level of one weight: weight = level · scale of its block. */
    int level(int row, int col);

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

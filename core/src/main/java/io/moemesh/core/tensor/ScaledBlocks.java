package io.moemesh.core.tensor;

/**
 * Weights in blocks of 32 columns, each block one scale times small integer levels: our int8 and q4 layouts and
 * llama.cpp's Q8_0 and Q4_0. They share the kernel's shape — Σ over blocks of scale · (Σ level·x), one multiply by
 * the scale per block, blocks alternating between two accumulators so two FMA chains are in flight — and the scalar
 * twin. A layout says only where a block's levels and scale are, and how its levels meet x in vector lanes.
 */
sealed interface ScaledBlocks extends Matrix permits Q8Matrix, Q4Matrix, GgmlQ4Matrix {
    int BLOCK = QuantBlocks.BLOCK;

    /**
     * The 32 levels of full block {@code block} of {@code row} as floats, in column order. Each layout's
     * {@link #dot} multiplies a block's levels with x in that same (ascending) order, one accumulator per block: so
     * {@link #dot4}, which reads the levels once for four tokens, gives each token exactly {@link #dot}'s sum.
     */
    void levels(int row, int block, float[] dst);

    /** The scale of one block. */
    float scale(int row, int block);

    /** The signed integer level of one weight: weight = level · scale of its block. */
    int level(int row, int col);

    /**
     * The blocked sum each layout writes out in full: Σ over full blocks of scale · (Σ level·x in ascending columns),
     * blocks alternating between two accumulators; then {@link #partialBlock}. Written out, with no helper returning a
     * FloatVector: a vector returned from a call the JIT does not inline is boxed (3x slower at batch 1, measured).
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
     * {@link #dot} for four input rows: a block's levels are widened once ({@link #levels}) and used four times. Same
     * operations per token as {@link #dot} (blocks alternating between two accumulators, ascending columns within a
     * block). Each layout writes it out, like {@code dot}: shared by all layouts, its calls would see several types
     * in a process that mixes formats, and the JIT then kept it deoptimised (prefill ran 15x slower, measured).
     */
    @Override
    void dot4(int row, float[] x, int xOffset, int stride, float[] out);

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

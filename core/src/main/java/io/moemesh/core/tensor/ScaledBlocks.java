package io.moemesh.core.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Weights in blocks of 32 columns, each block one scale times small integer levels: our int8 and q4 layouts and
 * llama.cpp's Q8_0 and Q4_0. They share the kernel's shape — Σ over blocks of scale · (Σ level·x), one multiply by
 * the scale per block, blocks alternating between two accumulators so two FMA chains are in flight — and the scalar
 * twin. A layout says only where a block's levels and scale are, and how its levels meet x in vector lanes.
 */
sealed interface ScaledBlocks extends Matrix permits Q8Matrix, Q4Matrix, GgmlQ4Matrix {
    int BLOCK = QuantBlocks.BLOCK;

    /**
     * The 32 levels of full block {@code block} of {@code row} as floats into {@code dst[dstOffset ...]}, in column
     * order. Each layout's {@link #dot} multiplies a block's levels with x in that same (ascending) order, one
     * accumulator per block: so {@link #dot4} and {@link #dotTokens}, which decode the levels once for several
     * tokens, give each token exactly {@link #dot}'s sum.
     */
    void levels(int row, int block, float[] dst, int dstOffset);

    BlockLayout layout();

    /**
     * Which full blocks {@link #dot} sums into its second accumulator: those with {@code (block & mask) != 0}. The
     * odd ones unless a layout says otherwise.
     */
    default int oddBlockMask() {
        return 1;
    }

    /** The scale of one block. */
    float scale(int row, int block);

    /** The signed integer level of one weight: weight = level · scale of its block. */
    int level(int row, int col);

    /**
     * The blocked sum each layout writes out in full: Σ over full blocks of {@code scales[b]} · (Σ level·x in
     * ascending columns), blocks alternating between two accumulators; then {@link #partialBlock}. The scales come
     * converted to floats, once per row ({@link BlockLayout#rowScales}): converting an fp16 per block inside the
     * loop cost a quarter of q4's time. Written out, with no helper returning a FloatVector: a vector returned from a
     * call the JIT does not inline is boxed (3x slower at batch 1, measured).
     */
    float dot(int row, float[] x, int xOffset, float[] scales);

    @Override
    default float dot(int row, float[] x, int xOffset) {
        return dot(row, x, xOffset, layout().rowScales(row, cols() / BLOCK));
    }

    /**
     * One input over rows [from, to) with one array for their scales: decoding calls this over whole matrices, and
     * a per-thread array looked up for every row (a ThreadLocal: 440,000 rows a token with the 30B-A3B shape) took
     * about a tenth of decoding (profiled).
     */
    @Override
    default void dotRows(int from, int to, float[] x, int xOffset, float[] out, int outOffset) {
        int full = cols() / BLOCK;
        BlockLayout layout = layout();
        float[] scales = RowBuffers.atLeast(RowBuffers.ROW_SCALES, full);
        for (int r = from; r < to; r++) {
            layout.rowScales(r, full, scales);
            out[outOffset + r] = dot(r, x, xOffset, scales);
        }
    }

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

    /**
     * {@link #dot} for four input rows: a block's levels are widened once ({@link #levels}) and used four times. Same
     * operations per token as {@link #dot} (blocks alternating between two accumulators, ascending columns within a
     * block). Each layout writes it out, like {@code dot}: shared by all layouts, its calls would see several types
     * in a process that mixes formats, and the JIT then kept it deoptimised (prefill ran 15x slower, measured).
     */
    @Override
    void dot4(int row, float[] x, int xOffset, int stride, float[] out);

    /** From this many tokens on, {@link #dotTokens} decodes a row once for all of them. */
    int DECODE_ROW_FROM_TOKENS = 8;

    /**
     * Many tokens (prefill, a batch for one expert): the row's levels are decoded to floats once, then each four
     * tokens run a float-only kernel over them, with {@link #dot4}'s order (so each result is {@link #dot}'s
     * exactly). dot4 decodes every block again for each four tokens: at 32 tokens that decoding was most of the
     * work. Shared by all layouts without the trouble dot4 had (see there): the calls that differ per layout, levels
     * and rowScales, fill arrays; no vector crosses a call.
     */
    @Override
    default void dotTokens(int row, float[] x, int xOffset, int stride, int tokens, float[] out, int outOffset,
                           int outStride) {
        if (tokens < DECODE_ROW_FROM_TOKENS) {
            Matrix.super.dotTokens(row, x, xOffset, stride, tokens, out, outOffset, outStride);
            return;
        }
        int full = cols() / BLOCK;
        float[] levels = RowBuffers.atLeast(RowBuffers.ROW_LEVELS, full * BLOCK);
        for (int b = 0; b < full; b++) {
            levels(row, b, levels, b * BLOCK);
        }
        float[] scales = layout().rowScales(row, full);
        float[] four = RowBuffers.FOUR.get();
        int t = 0;
        for (; t + 4 <= tokens; t += 4) {
            dot4Decoded(levels, scales, full, oddBlockMask(), x, xOffset + t * stride, stride, four);
            for (int k = 0; k < 4; k++) {
                out[outOffset + (t + k) * outStride] = partialBlock(this, row, x, xOffset + (t + k) * stride, four[k]);
            }
        }
        for (; t < tokens; t++) {
            out[outOffset + t * outStride] = dot(row, x, xOffset + t * stride);
        }
    }

    /** dot4's blocked sums over levels already decoded ({@code levels[b·32 + i]}) and float scales. */
    private static void dot4Decoded(float[] levels, float[] scales, int full, int oddMask, float[] x, int xOffset,
                                    int stride, float[] out) {
        VectorSpecies<Float> f = QuantBlocks.F;
        int step = f.length();
        int o0 = xOffset, o1 = xOffset + stride, o2 = xOffset + 2 * stride, o3 = xOffset + 3 * stride;
        FloatVector a0 = FloatVector.zero(f), a1 = a0, a2 = a0, a3 = a0;   // dot's first accumulator
        FloatVector b0 = a0, b1 = a0, b2 = a0, b3 = a0;                    // its second
        for (int b = 0; b < full; b++) {
            FloatVector s0 = FloatVector.zero(f), s1 = s0, s2 = s0, s3 = s0;
            int c0 = b * BLOCK;
            for (int v = 0; v < BLOCK; v += step) {
                FloatVector lv = FloatVector.fromArray(f, levels, c0 + v);
                s0 = lv.fma(FloatVector.fromArray(f, x, o0 + c0 + v), s0);
                s1 = lv.fma(FloatVector.fromArray(f, x, o1 + c0 + v), s1);
                s2 = lv.fma(FloatVector.fromArray(f, x, o2 + c0 + v), s2);
                s3 = lv.fma(FloatVector.fromArray(f, x, o3 + c0 + v), s3);
            }
            FloatVector scale = FloatVector.broadcast(f, scales[b]);
            if ((b & oddMask) == 0) {
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

package io.moemesh.core.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Block weights stored row by row: llama.cpp's Q8_0 and Q4_0 as GGUF stores them, read in place. They share the
 * kernel's shape — Σ over blocks of scale · (Σ level·x), one multiply by the scale per block, blocks alternating
 * between two accumulators so two FMA chains are in flight. A layout says only where a block's levels and scale are,
 * and how its levels meet x in vector lanes. (Our bf16, int8 and q4 interleave rows instead and have kernels of
 * their own: {@link RowPanels}.)
 */
sealed interface ScaledBlocks extends BlockLevels permits Q8Matrix, GgmlQ4Matrix {

    /**
     * The 32 levels of full block {@code block} of {@code row} as floats into {@code dst[dstOffset ...]}, in column
     * order. Each layout's {@link #dot} multiplies a block's levels with x in that same (ascending) order, one
     * accumulator per block: so {@link #dot4} and {@link #dotTokens}, which decode the levels once for several
     * tokens, give each token exactly {@link #dot}'s sum.
     */
    void levels(int row, int block, float[] dst, int dstOffset);

    /** The levels of all full blocks of a row, {@code dst[b·32 + i]}; layouts may decode a whole row faster. */
    default void levels(int row, float[] dst) {
        for (int b = 0, full = cols() / BLOCK; b < full; b++) {
            levels(row, b, dst, b * BLOCK);
        }
    }

    BlockLayout layout();

    @Override
    default long bytes() {
        return layout().bytes();
    }

    @Override
    default String format() {
        return layout().format();
    }

    /**
     * Which full blocks {@link #dot} sums into its second accumulator: those with {@code (block & mask) != 0}. The
     * odd ones unless a layout says otherwise.
     */
    default int oddBlockMask() {
        return 1;
    }

    /**
     * The blocked sum each layout writes out in full: Σ over full blocks of {@code scales[b]} · (Σ level·x in
     * ascending columns), blocks alternating between two accumulators; then {@link #partialBlock}. The scales come
     * converted to floats ({@link BlockLayout#rowScales}), from {@code scales[scalesOffset]}: converting an fp16 per
     * block inside the loop cost a quarter of q4's time. Written out, with no helper returning a FloatVector: a
     * vector returned from a call the JIT does not inline is boxed (3x slower at batch 1, measured).
     */
    float dot(int row, float[] x, int xOffset, float[] scales, int scalesOffset);

    @Override
    default float dot(int row, float[] x, int xOffset) {
        return dot(row, x, xOffset, layout().rowScales(row, cols() / BLOCK), 0);
    }

    /** Rows whose scales {@link #dotRows} converts in one go. */
    int SCALE_ROWS = 16;

    /**
     * One input over rows [from, to) with one array for their scales: decoding calls this over whole matrices, and
     * a per-thread array looked up for every row (a ThreadLocal: 440,000 rows a token with the 30B-A3B shape) took
     * about a tenth of decoding (profiled). The scales of {@link #SCALE_ROWS} rows are converted in one loop:
     * q4 decode at one thread 32.2 -> 32.9-33.4 tokens/s (bench decode, A/B in one session), two threads unchanged.
     */
    @Override
    default void dotRows(int from, int to, float[] x, int xOffset, float[] out, int outOffset) {
        int full = cols() / BLOCK;
        BlockLayout layout = layout();
        float[] scales = RowBuffers.atLeast(RowBuffers.ROW_SCALES, SCALE_ROWS * full);
        for (int first = from; first < to; first += SCALE_ROWS) {
            int rows = Math.min(SCALE_ROWS, to - first);
            layout.rowScales(first, rows, full, scales);
            for (int k = 0; k < rows; k++) {
                out[outOffset + first + k] = dot(first + k, x, xOffset, scales, k * full);
            }
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

    /** {@link #dot} for four input rows: {@link #dotTokens} of four. */
    @Override
    default void dot4(int row, float[] x, int xOffset, int stride, float[] out) {
        dotTokens(row, x, xOffset, stride, 4, out, 0, 1);
    }

    /** From this many tokens on, {@link #dotTokens} decodes a row once for all of them. */
    int DECODE_ROW_FROM_TOKENS = 4;

    /**
     * Several tokens (prefill, a batch for one expert): the row's levels are decoded to floats once, then each four
     * tokens run a float-only kernel over them with {@link #dot}'s operations in dot's order (blocks alternating
     * between two accumulators, ascending columns within a block), so each result is dot's exactly. Shared by all
     * layouts: the calls that differ per layout (levels, rowScales) fill arrays and no vector crosses a call, so a
     * process that mixes formats compiles it once. (Each layout once wrote out its own dot4 that decoded a block at a
     * time for four tokens: a shared one then called vector code per layout, and the JIT kept it deoptimised.)
     */
    @Override
    default void dotTokens(int row, float[] x, int xOffset, int stride, int tokens, float[] out, int outOffset,
                           int outStride) {
        if (tokens < DECODE_ROW_FROM_TOKENS) {
            BlockLevels.super.dotTokens(row, x, xOffset, stride, tokens, out, outOffset, outStride);
            return;
        }
        int full = cols() / BLOCK;
        float[] levels = RowBuffers.atLeast(RowBuffers.ROW_LEVELS, full * BLOCK);
        levels(row, levels);
        float[] scales = layout().rowScales(row, full);
        float[] sums = RowBuffers.EIGHT_SUMS.get();
        int lanes = QuantBlocks.F.length();
        int t = 0;
        for (; t + 4 <= tokens; t += 4) {
            dot4Decoded(levels, scales, full, oddBlockMask(), x, xOffset + t * stride, stride, sums);
            for (int k = 0; k < 4; k++) {
                out[outOffset + (t + k) * outStride] =
                        partialBlock(this, row, x, xOffset + (t + k) * stride, VectorMath.sumLanes(sums, k * lanes));
            }
        }
        for (; t < tokens; t++) {
            out[outOffset + t * outStride] = dot(row, x, xOffset + t * stride);
        }
    }

    /**
     * Two rows over the same many tokens: both rows decoded once, then each four tokens' input vectors loaded once
     * for both rows. With one row at a time, a 32-token product was bound by loading the tokens' inputs from the L2
     * cache (32 × 8 KB for a 2048-wide row: more than L1 holds), once per row; sharing the loads between two rows
     * made the kernel 1.7x faster in isolation (measured).
     */
    @Override
    default void dotTokens2(int row, Matrix other, int otherRow, float[] x, int xOffset, int stride, int tokens,
                            float[] out, int outOffset, float[] otherOut, int otherOutOffset, int outStride) {
        if (tokens < DECODE_ROW_FROM_TOKENS || !(other instanceof ScaledBlocks o) || o.cols() != cols()
                || o.oddBlockMask() != oddBlockMask()) {
            BlockLevels.super.dotTokens2(row, other, otherRow, x, xOffset, stride, tokens, out, outOffset, otherOut,
                    otherOutOffset, outStride);
            return;
        }
        int full = cols() / BLOCK;
        float[] levels = RowBuffers.atLeast(RowBuffers.ROW_LEVELS, full * BLOCK);
        float[] otherLevels = RowBuffers.atLeast(RowBuffers.OTHER_ROW_LEVELS, full * BLOCK);
        levels(row, levels);
        o.levels(otherRow, otherLevels);
        float[] scales = RowBuffers.atLeast(RowBuffers.ROW_SCALES, full);
        float[] otherScales = RowBuffers.atLeast(RowBuffers.OTHER_ROW_SCALES, full);
        layout().rowScales(row, full, scales);
        o.layout().rowScales(otherRow, full, otherScales);
        float[] sums = RowBuffers.EIGHT_SUMS.get();
        int lanes = QuantBlocks.F.length();
        int t = 0;
        for (; t + 4 <= tokens; t += 4) {
            dot8Decoded(levels, scales, otherLevels, otherScales, full, oddBlockMask(), x, xOffset + t * stride, stride,
                    sums);
            for (int k = 0; k < 4; k++) {
                int at = xOffset + (t + k) * stride;
                out[outOffset + (t + k) * outStride] = partialBlock(this, row, x, at, VectorMath.sumLanes(sums, k * lanes));
                otherOut[otherOutOffset + (t + k) * outStride] =
                        partialBlock(o, otherRow, x, at, VectorMath.sumLanes(sums, (4 + k) * lanes));
            }
        }
        for (; t < tokens; t++) {
            out[outOffset + t * outStride] = dot(row, x, xOffset + t * stride);
            otherOut[otherOutOffset + t * outStride] = o.dot(otherRow, x, xOffset + t * stride);
        }
    }

    /**
     * {@link #dot4Decoded} of two rows (p, q) at once, sharing each input load. The eight vectors whose lanes sum to
     * the results go to {@code sums} (p's four tokens, then q's) for the caller to sum: eight sumLanes inlined here
     * passed the JIT's node budget, and the vectors handed to the ones left out were boxed (measured).
     */
    private static void dot8Decoded(float[] pLevels, float[] pScales, float[] qLevels, float[] qScales, int full,
                                    int oddMask, float[] x, int xOffset, int stride, float[] sums) {
        VectorSpecies<Float> f = QuantBlocks.F;
        int step = f.length();
        int o0 = xOffset, o1 = xOffset + stride, o2 = xOffset + 2 * stride, o3 = xOffset + 3 * stride;
        // a: dot's first accumulator, b: its second
        FloatVector pa0 = FloatVector.zero(f), pa1 = pa0, pa2 = pa0, pa3 = pa0, pb0 = pa0, pb1 = pa0, pb2 = pa0, pb3 = pa0;
        FloatVector qa0 = pa0, qa1 = pa0, qa2 = pa0, qa3 = pa0, qb0 = pa0, qb1 = pa0, qb2 = pa0, qb3 = pa0;
        for (int b = 0; b < full; b++) {
            FloatVector p0 = FloatVector.zero(f), p1 = p0, p2 = p0, p3 = p0, q0 = p0, q1 = p0, q2 = p0, q3 = p0;
            int c0 = b * BLOCK;
            for (int v = 0; v < BLOCK; v += step) {
                FloatVector lp = FloatVector.fromArray(f, pLevels, c0 + v), lq = FloatVector.fromArray(f, qLevels, c0 + v);
                FloatVector x0 = FloatVector.fromArray(f, x, o0 + c0 + v);
                p0 = lp.fma(x0, p0);
                q0 = lq.fma(x0, q0);
                FloatVector x1 = FloatVector.fromArray(f, x, o1 + c0 + v);
                p1 = lp.fma(x1, p1);
                q1 = lq.fma(x1, q1);
                FloatVector x2 = FloatVector.fromArray(f, x, o2 + c0 + v);
                p2 = lp.fma(x2, p2);
                q2 = lq.fma(x2, q2);
                FloatVector x3 = FloatVector.fromArray(f, x, o3 + c0 + v);
                p3 = lp.fma(x3, p3);
                q3 = lq.fma(x3, q3);
            }
            FloatVector sp = FloatVector.broadcast(f, pScales[b]), sq = FloatVector.broadcast(f, qScales[b]);
            if ((b & oddMask) == 0) {
                pa0 = p0.fma(sp, pa0);
                pa1 = p1.fma(sp, pa1);
                pa2 = p2.fma(sp, pa2);
                pa3 = p3.fma(sp, pa3);
                qa0 = q0.fma(sq, qa0);
                qa1 = q1.fma(sq, qa1);
                qa2 = q2.fma(sq, qa2);
                qa3 = q3.fma(sq, qa3);
            } else {
                pb0 = p0.fma(sp, pb0);
                pb1 = p1.fma(sp, pb1);
                pb2 = p2.fma(sp, pb2);
                pb3 = p3.fma(sp, pb3);
                qb0 = q0.fma(sq, qb0);
                qb1 = q1.fma(sq, qb1);
                qb2 = q2.fma(sq, qb2);
                qb3 = q3.fma(sq, qb3);
            }
        }
        int n = step;
        pa0.add(pb0).intoArray(sums, 0);
        pa1.add(pb1).intoArray(sums, n);
        pa2.add(pb2).intoArray(sums, 2 * n);
        pa3.add(pb3).intoArray(sums, 3 * n);
        qa0.add(qb0).intoArray(sums, 4 * n);
        qa1.add(qb1).intoArray(sums, 5 * n);
        qa2.add(qb2).intoArray(sums, 6 * n);
        qa3.add(qb3).intoArray(sums, 7 * n);
    }

    /**
     * dot4's blocked sums over levels already decoded ({@code levels[b·32 + i]}) and float scales: the four vectors
     * whose lanes sum to the results go to {@code sums}, for the caller to sum (see {@link #dot8Decoded}).
     */
    private static void dot4Decoded(float[] levels, float[] scales, int full, int oddMask, float[] x, int xOffset,
                                    int stride, float[] sums) {
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
        a0.add(b0).intoArray(sums, 0);
        a1.add(b1).intoArray(sums, step);
        a2.add(b2).intoArray(sums, 2 * step);
        a3.add(b3).intoArray(sums, 3 * step);
    }
}

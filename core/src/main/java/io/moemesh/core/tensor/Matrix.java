package io.moemesh.core.tensor;

/**
 * A weight matrix {@code [rows, cols]} stored row-major in some format (the layout of nn.Linear: one row per
 * output feature). Each format implements its dot product twice: {@link #dot} is the fast (SIMD) kernel,
 * {@link #dotReference} the plain scalar twin that tests compare it against.
 */
public interface Matrix {
    int rows();

    int cols();

    /** Σ_c w[row][c] · x[xOffset + c], the fast kernel. */
    float dot(int row, float[] x, int xOffset);

    /**
     * {@link #dot} of rows [from, to) with one input row: {@code out[outOffset + r]}. A format with work to do per
     * call (buffers to look up) does it once for all the rows.
     */
    default void dotRows(int from, int to, float[] x, int xOffset, float[] out, int outOffset) {
        for (int r = from; r < to; r++) {
            out[outOffset + r] = dot(r, x, xOffset);
        }
    }

    /**
     * {@link #dot} of one row with four input rows at {@code xOffset + k·stride}, k = 0..3, into {@code out[0..3]}:
     * a format may read (and widen or dequantize) the row once for all four. Each result must equal {@link #dot}'s
     * exactly, so that a token's numbers do not depend on the batch it shares a step with.
     */
    default void dot4(int row, float[] x, int xOffset, int stride, float[] out) {
        for (int k = 0; k < 4; k++) {
            out[k] = dot(row, x, xOffset + k * stride);
        }
    }

    /**
     * {@link #dot} of one row with {@code tokens} input rows at {@code xOffset + t·stride}, into
     * {@code out[outOffset + t·outStride]}, each exactly dot's result. By default the row is read once per four
     * tokens ({@link #dot4}); a format whose rows cost more to decode than to multiply decodes a row once for all.
     */
    default void dotTokens(int row, float[] x, int xOffset, int stride, int tokens, float[] out, int outOffset,
                           int outStride) {
        int t = 0;
        if (tokens >= 4) {
            float[] four = RowBuffers.FOUR.get();
            for (; t + 4 <= tokens; t += 4) {
                dot4(row, x, xOffset + t * stride, stride, four);
                for (int k = 0; k < 4; k++) {
                    out[outOffset + (t + k) * outStride] = four[k];
                }
            }
        }
        for (; t < tokens; t++) {
            out[outOffset + t * outStride] = dot(row, x, xOffset + t * stride);
        }
    }

    /**
     * {@link #dotTokens} of row {@code row} of this matrix and row {@code otherRow} of {@code other} over the same
     * input rows: an FFN's gate and up rows, or two neighbouring rows. A format may then load each input vector once
     * for both rows: many-token products are bound by those loads, from the L2 cache. Each result is still exactly
     * {@link #dot}'s.
     */
    default void dotTokens2(int row, Matrix other, int otherRow, float[] x, int xOffset, int stride, int tokens,
                            float[] out, int outOffset, float[] otherOut, int otherOutOffset, int outStride) {
        dotTokens(row, x, xOffset, stride, tokens, out, outOffset, outStride);
        other.dotTokens(otherRow, x, xOffset, stride, tokens, otherOut, otherOutOffset, outStride);
    }

    /**
     * Rows [from, to) for {@code tokens} input rows at {@code xOffset + t·cols()}: {@code out[outOffset + r +
     * t·outStride]}, each exactly {@link #dot}'s. One token: {@link #dotRows}; more: two rows per pass
     * ({@link #dotTokens2}), the last one alone. A format that computes rows in groups takes the range whole.
     */
    default void dotRowRange(int from, int to, float[] x, int xOffset, int tokens, float[] out, int outOffset,
                             int outStride) {
        if (tokens == 1) {
            dotRows(from, to, x, xOffset, out, outOffset);
            return;
        }
        int r = from;
        for (; r + 1 < to; r += 2) {
            dotTokens2(r, this, r + 1, x, xOffset, cols(), tokens, out, outOffset + r, out, outOffset + r + 1, outStride);
        }
        if (r < to) {
            dotTokens(r, x, xOffset, cols(), tokens, out, outOffset + r, outStride);
        }
    }

    /**
     * Rows the kernel computes together ({@link #dotRowRange}): threads that split a matrix at multiples of it
     * waste no work. 1 for formats that take rows one or two at a time.
     */
    default int rowGrain() {
        return 1;
    }

    /** The same sum in plain scalar Java, in column order: the reference the kernel is tested against. */
    float dotReference(int row, float[] x, int xOffset);

    /** Dequantizes one row into {@code dst[dstOffset ...]} (embedding lookups read rows this way). */
    void row(int row, float[] dst, int dstOffset);

    /** Bytes the weights occupy, scales included: what one pass over the matrix reads. */
    long bytes();

    String format();
}

package io.moemesh.core.kernel;

import io.moemesh.core.tensor.Matrix;

/**
 * y = x · Wᵀ for a batch of token rows: {@code out[t·rows + r] = Σ_c W[r][c] · x[t·cols + c]}. The one place
 * the engine multiplies by weights, so a faster kernel (tiled, quantized, more threads) plugs in here.
 */
public interface MatMul {
    void apply(Matrix w, float[] x, int tokens, float[] out);

    /**
     * Rows [from, to) of the product for {@code tokens} input rows at {@code xOffset + t·cols}:
     * {@code out[outOffset + r + t·outStride]}.
     */
    void rowRange(Matrix w, int from, int to, float[] x, int xOffset, int tokens, float[] out, int outOffset,
                  int outStride);

    /**
     * Runs {@code body} over [0, n) with this MatMul's threads; {@code macs} (the multiply-adds it does in all)
     * lets small work stay on the calling thread, where a fork would cost more than it saves. {@code equalCost}:
     * every index costs the same, so each thread can take one contiguous share ({@link Parallel#forEqualRange}).
     * {@code grain}: threads split [0, n) at multiples of it ({@link Matrix#rowGrain} of the matrices whose rows
     * the indices are).
     */
    void parallel(int n, int grain, long macs, boolean equalCost, Parallel.Range body);

    /**
     * Several matrices over the same input rows in one parallel pass (one fork, not one per matrix): Q, K and V.
     * {@code out[m]} receives matrix m's [tokens, rows] outputs.
     */
    default void applyAll(Matrix[] ws, StackedRows stacked, float[] x, int tokens, float[][] out) {
        long macs = 0;
        for (Matrix w : ws) {
            macs += (long) w.rows() * w.cols() * tokens;
        }
        parallel(stacked.total(), ws[0].rowGrain(), macs, true, (from, to) -> {
            for (int i = from; i < to; ) {
                int m = stacked.owner(i);
                int end = Math.min(to, stacked.start(m + 1));
                rowRange(ws[m], i - stacked.start(m), end - stacked.start(m), x, 0, tokens, out[m], 0, ws[m].rows());
                i = end;
            }
        });
    }

    default float[] apply(Matrix w, float[] x, int tokens) {
        float[] out = new float[tokens * w.rows()];
        apply(w, x, tokens, out);
        return out;
    }

    /** The SIMD kernels, spread over the engine's threads. */
    static MatMul vector() {
        return VectorMatMul.INSTANCE;
    }

    /** The scalar twin, for tests. */
    static MatMul reference() {
        return ScalarMatMul.INSTANCE;
    }
}

package io.moemesh.core.kernel;

import io.moemesh.core.tensor.Matrix;

/**
 * y = x · Wᵀ for a batch of token rows: {@code out[t·rows + r] = Σ_c W[r][c] · x[t·cols + c]}. The one place
 * the engine multiplies by weights, so a faster kernel (tiled, quantized, more threads) plugs in here.
 */
public interface MatMul {
    void apply(Matrix w, float[] x, int tokens, float[] out);

    /**
     * Row {@code row} of the product for {@code tokens} input rows (at {@code t·cols}):
     * {@code out[outOffset + t·outStride] = dot(w, row, x, t·cols)}. Register-tiled where the format allows: the
     * weight row is read once per four tokens.
     */
    void rowForTokens(Matrix w, int row, float[] x, int tokens, float[] out, int outOffset, int outStride);

    /**
     * Runs {@code body} over [0, n) with this MatMul's threads; {@code macs} (the multiply-adds it does in all)
     * lets small work stay on the calling thread, where a fork would cost more than it saves.
     */
    void parallel(int n, long macs, Parallel.Range body);

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

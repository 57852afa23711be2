package io.moemesh.core.kernel;

import io.moemesh.core.tensor.Matrix;

/**
 * y = x · Wᵀ for a batch of token rows: {@code out[t·rows + r] = Σ_c W[r][c] · x[t·cols + c]}. The one place
 * the engine multiplies by weights, so a faster kernel (tiled, quantized, more threads) plugs in here.
 */
public interface MatMul {
    void apply(Matrix w, float[] x, int tokens, float[] out);

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

package io.moemesh.core.kernel;

import io.moemesh.core.tensor.Matrix;

/** Plain loops, one thread: what every faster kernel is compared against. */
final class ScalarMatMul implements MatMul {
    static final ScalarMatMul INSTANCE = new ScalarMatMul();

    @Override
    public void apply(Matrix w, float[] x, int tokens, float[] out) {
        int rows = w.rows(), cols = w.cols();
        for (int t = 0; t < tokens; t++) {
            for (int r = 0; r < rows; r++) {
                out[t * rows + r] = w.dotReference(r, x, t * cols);
            }
        }
    }

    @Override
    public void rowRange(Matrix w, int from, int to, float[] x, int xOffset, int tokens, float[] out, int outOffset,
                         int outStride) {
        for (int t = 0; t < tokens; t++) {
            for (int r = from; r < to; r++) {
                out[outOffset + r + t * outStride] = w.dotReference(r, x, xOffset + t * w.cols());
            }
        }
    }

    @Override
    public void parallel(int n, int grain, long macs, boolean equalCost, Parallel.Range body) {
        body.run(0, n);
    }
}

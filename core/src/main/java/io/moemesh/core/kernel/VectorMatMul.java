package io.moemesh.core.kernel;

import io.moemesh.core.tensor.Matrix;

/**
 * SIMD dot products, rows split across the worker threads. Rows are the outer loop so each weight row is read
 * from memory once per call and reused from cache for every token of the batch.
 */
final class VectorMatMul implements MatMul {
    static final VectorMatMul INSTANCE = new VectorMatMul();
    /** Below this much work a fork costs more than it saves. */
    private static final long PARALLEL_MIN_MACS = 1 << 16;

    @Override
    public void apply(Matrix w, float[] x, int tokens, float[] out) {
        int rows = w.rows(), cols = w.cols();
        if ((long) rows * cols * tokens < PARALLEL_MIN_MACS) {
            range(w, x, tokens, out, 0, rows);
        } else {
            Parallel.forEqualRange(rows, w.rowGrain(), (from, to) -> range(w, x, tokens, out, from, to));
        }
    }

    @Override
    public void parallel(int n, int grain, long macs, boolean equalCost, Parallel.Range body) {
        if (macs < PARALLEL_MIN_MACS) {
            body.run(0, n);
        } else if (equalCost) {
            Parallel.forEqualRange(n, grain, body);
        } else {
            Parallel.forRange(n, grain, body);
        }
    }

    private void range(Matrix w, float[] x, int tokens, float[] out, int from, int to) {
        rowRange(w, from, to, x, 0, tokens, out, 0, w.rows());
    }

    @Override
    public void rowRange(Matrix w, int from, int to, float[] x, int xOffset, int tokens, float[] out, int outOffset,
                         int outStride) {
        w.dotRowRange(from, to, x, xOffset, tokens, out, outOffset, outStride);
    }
}

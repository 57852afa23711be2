package io.moemesh.core.tensor;

/**
 * How large the numbers are that a kernel adds for one row, so that a test can bound its float rounding: a float sum
 * is off from the exact one by at most a few ulps of Σ |term|, whatever the order. For row-panel formats the terms are
 * what the kernels multiply (value·x, and offset·x for q4's offset values) times the block's scale; q4 sums values
 * near 1.53 in steps of 1/16 or 1/256 and subtracts 1.53·Σx, so its terms are far larger than its weights' products.
 */
public final class KernelTerms {
    private KernelTerms() {
    }

    /** Σ |term| for row {@code row} of {@code w} against x[off, off + cols). */
    public static double of(Matrix w, int row, float[] x, int off) {
        double terms = 0;
        if (w instanceof RowPanels p) {
            for (int c = 0; c < w.cols(); c++) {
                terms += (Math.abs(p.value(row, c)) + Math.abs(p.valueOffset())) * Math.abs(x[off + c] * p.blockScale(row, c / 32));
            }
            return terms;
        }
        float[] weights = new float[w.cols()];
        w.row(row, weights, 0);
        for (int c = 0; c < w.cols(); c++) {
            terms += Math.abs(weights[c] * x[off + c]);
        }
        return terms;
    }
}

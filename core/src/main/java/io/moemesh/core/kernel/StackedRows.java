package io.moemesh.core.kernel;

import java.util.Arrays;

/**
 * The rows of several matrices numbered one after another, so that one parallel loop (one fork) covers them all:
 * Q, K and V together, or every expert of a layer.
 */
public final class StackedRows {
    private final int[] starts;
    private final int count;

    /** The rows of these matrices, in order. */
    public StackedRows(io.moemesh.core.tensor.Matrix... matrices) {
        this(java.util.Arrays.stream(matrices).mapToInt(io.moemesh.core.tensor.Matrix::rows).toArray());
    }

    /** @param rows the row count of each matrix, in order */
    public StackedRows(int[] rows) {
        this(rows, rows.length, new int[rows.length + 1]);
    }

    /**
     * The first {@code count} matrices of {@code rows}, numbered in {@code starts} (at least count + 1 long; the
     * caller's, e.g. {@link Scratch}, so that a decode step allocates no index arrays).
     */
    public StackedRows(int[] rows, int count, int[] starts) {
        this.starts = starts;
        this.count = count;
        starts[0] = 0;
        for (int m = 0; m < count; m++) {
            starts[m + 1] = starts[m] + rows[m];
        }
    }

    public int total() {
        return starts[count];
    }

    /** First stacked row of matrix {@code m}; {@code start(m + 1)} is one past its last. */
    public int start(int m) {
        return starts[m];
    }

    /** The matrix that stacked row {@code i} belongs to. */
    public int owner(int i) {
        int m = Arrays.binarySearch(starts, 0, count + 1, i);
        if (m < 0) {
            return -m - 2;
        }
        while (starts[m + 1] == i) {   // matrices with no rows
            m++;
        }
        return m;
    }
}

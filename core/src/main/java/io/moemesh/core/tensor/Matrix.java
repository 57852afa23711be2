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

    /** The same sum in plain scalar Java, in column order: the reference the kernel is tested against. */
    float dotReference(int row, float[] x, int xOffset);

    /** Dequantizes one row into {@code dst[dstOffset ...]} (embedding lookups read rows this way). */
    void row(int row, float[] dst, int dstOffset);

    /** Bytes the weights occupy, scales included: what one pass over the matrix reads. */
    long bytes();

    String format();
}

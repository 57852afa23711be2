package io.moemesh.core.tensor;

import io.moemesh.core.weights.Numerics;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * FP8 e4m3 weights with one float scale per {@code blockRows × blockCols} block ({@code weight_scale_inv}, as in
 * Qwen3-*-FP8): w[r][c] = fp8[r][c] · scale[r / blockRows][c / blockCols]. Edge blocks may be partial. The kernel
 * dequantizes inside the dot product (the stored bytes stay fp8), accumulating each block before scaling it.
 */
public record Fp8BlockMatrix(MemorySegment data, int rows, int cols, float[] scales, int blockRows, int blockCols)
        implements Matrix {
    public int scaleCols() {
        return (cols + blockCols - 1) / blockCols;
    }

    @Override
    public float dot(int row, float[] x, int xOffset) {
        return VectorMath.dotOfDequantizedRow(this, row, x, xOffset);
    }

    @Override
    public float dotReference(int row, float[] x, int xOffset) {
        long base = (long) row * cols;
        int scaleRow = (row / blockRows) * scaleCols();
        float sum = 0;
        for (int c = 0; c < cols; c++) {
            float w = Numerics.e4m3ToFloat(data.get(ValueLayout.JAVA_BYTE, base + c)) * scales[scaleRow + c / blockCols];
            sum += w * x[xOffset + c];
        }
        return sum;
    }

    @Override
    public void row(int row, float[] dst, int dstOffset) {
        long base = (long) row * cols;
        int scaleRow = (row / blockRows) * scaleCols();
        for (int c = 0; c < cols; c++) {
            dst[dstOffset + c] = Numerics.e4m3ToFloat(data.get(ValueLayout.JAVA_BYTE, base + c)) * scales[scaleRow + c / blockCols];
        }
    }

    @Override
    public long bytes() {
        return (long) rows * cols + scales.length * 4L;
    }

    @Override
    public String format() {
        return "fp8-e4m3-block" + blockRows + "x" + blockCols;
    }
}

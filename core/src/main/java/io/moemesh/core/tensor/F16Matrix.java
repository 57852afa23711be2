package io.moemesh.core.tensor;

import io.moemesh.core.weights.Numerics;

/**
 * float16 weights. Rare for Qwen3 (published in bf16), so the kernel widens a row into a per-thread buffer and
 * reuses the f32 dot rather than having a vector path of its own ({@link DequantizedRows}).
 */
public record F16Matrix(java.lang.foreign.MemorySegment data, int rows, int cols) implements DequantizedRows {
    @Override
    public float dotReference(int row, float[] x, int xOffset) {
        long base = (long) row * cols;
        float sum = 0;
        for (int c = 0; c < cols; c++) {
            sum += Numerics.f16ToFloat(data.getAtIndex(Numerics.I16, base + c)) * x[xOffset + c];
        }
        return sum;
    }

    @Override
    public void row(int row, float[] dst, int dstOffset) {
        long base = (long) row * cols;
        for (int c = 0; c < cols; c++) {
            dst[dstOffset + c] = Numerics.f16ToFloat(data.getAtIndex(Numerics.I16, base + c));
        }
    }

    @Override
    public long bytes() {
        return (long) rows * cols * 2;
    }

    @Override
    public String format() {
        return "f16";
    }
}

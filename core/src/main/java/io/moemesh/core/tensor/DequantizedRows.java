package io.moemesh.core.tensor;

/**
 * A format without a kernel of its own (f16, llama.cpp's K-quants as stored, {@code --weights stored} fp8): each
 * row is widened into floats in a per-thread buffer ({@link #row}), then multiplied by the f32 dot
 * ({@link VectorMath#dot}). A batch widens each row once for all its tokens and runs four tokens a pass over it:
 * by the default {@link Matrix#dotTokens} a row was widened again for every token, and fp8 at 32 tokens ran at
 * 0.1 GB/s (bench kernels, 30B expert, one thread). Every path gives exactly {@link #dot}'s floats.
 */
interface DequantizedRows extends Matrix {
    @Override
    default float dot(int row, float[] x, int xOffset) {
        float[] w = RowBuffers.atLeast(RowBuffers.DEQUANTIZED_ROW, cols());
        row(row, w, 0);
        return VectorMath.dot(w, 0, x, xOffset, cols());
    }

    @Override
    default void dot4(int row, float[] x, int xOffset, int stride, float[] out) {
        dotTokens(row, x, xOffset, stride, 4, out, 0, 1);
    }

    @Override
    default void dotTokens(int row, float[] x, int xOffset, int stride, int tokens, float[] out, int outOffset,
                           int outStride) {
        int cols = cols();
        float[] w = RowBuffers.atLeast(RowBuffers.DEQUANTIZED_ROW, cols);
        row(row, w, 0);
        int t = 0;
        if (tokens >= 4) {
            float[] four = RowBuffers.FOUR.get();
            for (; t + 4 <= tokens; t += 4) {
                VectorMath.dot4(w, 0, x, xOffset + t * stride, stride, cols, four);
                for (int k = 0; k < 4; k++) {
                    out[outOffset + (t + k) * outStride] = four[k];
                }
            }
        }
        for (; t < tokens; t++) {
            out[outOffset + t * outStride] = VectorMath.dot(w, 0, x, xOffset + t * stride, cols);
        }
    }
}

package io.moemesh.core.tensor;

import io.moemesh.core.weights.Numerics;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import static io.moemesh.core.tensor.QuantBlocks.B;
import static io.moemesh.core.tensor.RowPanels.I;
import static io.moemesh.core.tensor.RowPanels.L;

/**
 * FP8 e4m3 weights with one float scale per {@code blockRows × blockCols} block ({@code weight_scale_inv}, as in
 * Qwen3-*-FP8): w[r][c] = fp8[r][c] · scale[r / blockRows][c / blockCols]. Edge blocks may be partial. This is
 * {@code --weights stored} (and {@code --load mmap}): row by row, each row dequantized into a buffer and then
 * multiplied ({@link DequantizedRows}). {@code --weights auto} lays the same bytes out in row panels
 * ({@link Fp8PanelMatrix}), whose kernels dequantize as they multiply: 29 against 4.8 GB/s (bench kernels, 30B
 * expert, one thread).
 */
public record Fp8BlockMatrix(MemorySegment data, int rows, int cols, float[] scales, int blockRows, int blockCols)
        implements DequantizedRows {
    public int scaleCols() {
        return (cols + blockCols - 1) / blockCols;
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

    /**
     * The row's weights, e4m3 value times block scale, L at a time: a byte vector sign-extended, shifted and masked is
     * the value times 2^-120 ({@link Fp8PanelMatrix}), times 2^120 the value exactly, then times the scale as the
     * scalar loop does (the same float each). Value by value through the table this ran at 0.7 GB/s (bench kernels
     * fp8, one thread).
     */
    @Override
    public void row(int row, float[] dst, int dstOffset) {
        long base = (long) row * cols;
        int scaleRow = (row / blockRows) * scaleCols(), step = Math.max(L, B.length());
        for (int from = 0; from < cols; from += blockCols) {
            int to = Math.min(cols, from + blockCols), c = from;
            float scale = scales[scaleRow + from / blockCols];
            for (; c + step <= to; c += L) {
                ByteVector bytes = ByteVector.fromMemorySegment(B, data, base + c, ByteOrder.LITTLE_ENDIAN);
                if (bytes.and((byte) 0x7F).eq((byte) 0x7F).anyTrue()) {   // a NaN, which the mask would read as 480
                    break;
                }
                ((IntVector) bytes.convertShape(VectorOperators.B2I, I, 0)).lanewise(VectorOperators.LSHL, 20)
                        .and(Fp8PanelMatrix.FLOAT_BITS).reinterpretAsFloats().mul(0x1p120f).mul(scale)
                        .intoArray(dst, dstOffset + c);
            }
            for (; c < to; c++) {
                dst[dstOffset + c] = Numerics.e4m3ToFloat(data.get(ValueLayout.JAVA_BYTE, base + c)) * scale;
            }
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

package io.moemesh.core.tensor;

import io.moemesh.core.weights.Numerics;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import static io.moemesh.core.tensor.QuantBlocks.B;
import static io.moemesh.core.tensor.QuantBlocks.F;
import static io.moemesh.core.tensor.QuantBlocks.PARTS;

/**
 * llama.cpp's Q4_0 in its native GGUF layout: blocks of 18 bytes, an fp16 scale d then 16 bytes whose low nibbles
 * are the block's first 16 values and high nibbles the last 16, w = (q − 8) · d.
 */
public record GgmlQ4_0Matrix(MemorySegment data, int rows, int cols) implements Matrix {
    static final int BLOCK = 32, BLOCK_BYTES = 18, HALF = 16;

    public GgmlQ4_0Matrix {
        GgmlBlocks.check(data, rows, cols, BLOCK, BLOCK_BYTES, "Q4_0");
    }

    private long blockAt(int row, int block) {
        return ((long) row * (cols / BLOCK) + block) * BLOCK_BYTES;
    }

    @Override
    public float dot(int row, float[] x, int xOffset) {
        int blocks = cols / BLOCK;
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        int b = 0;
        for (; b + 1 < blocks; b += 2) {
            acc0 = blockDot(blockAt(row, b), x, xOffset + b * BLOCK).fma(scale(blockAt(row, b)), acc0);
            acc1 = blockDot(blockAt(row, b + 1), x, xOffset + (b + 1) * BLOCK).fma(scale(blockAt(row, b + 1)), acc1);
        }
        if (b < blocks) {
            acc0 = blockDot(blockAt(row, b), x, xOffset + b * BLOCK).fma(scale(blockAt(row, b)), acc0);
        }
        return VectorMath.sumLanes(acc0.add(acc1));
    }

    /** Σ (q − 8)·x over one block: low nibbles against x[0..16), high nibbles against x[16..32). */
    private FloatVector blockDot(long at, float[] x, int xAt) {
        FloatVector sum = FloatVector.zero(F);
        for (int k = 0; k < HALF; k += B.length()) {
            ByteVector bytes = ByteVector.fromMemorySegment(B, data, at + 2 + k, ByteOrder.LITTLE_ENDIAN);
            ByteVector low = bytes.and((byte) 0x0F).sub((byte) 8);
            ByteVector high = bytes.lanewise(VectorOperators.LSHR, 4).sub((byte) 8);
            for (int p = 0; p < PARTS; p++) {
                int c = xAt + k + p * F.length();
                sum = ((FloatVector) low.convertShape(VectorOperators.B2F, F, p)).fma(FloatVector.fromArray(F, x, c), sum);
                sum = ((FloatVector) high.convertShape(VectorOperators.B2F, F, p)).fma(FloatVector.fromArray(F, x, c + HALF), sum);
            }
        }
        return sum;
    }

    private FloatVector scale(long at) {
        return FloatVector.broadcast(F, Float.float16ToFloat(data.get(Numerics.I16, at)));
    }

    /** ggml's dequantize_row_q4_0: y[j] = ((qs[j] & 0xF) − 8)·d, y[j + 16] = ((qs[j] >> 4) − 8)·d. */
    private float weight(int row, int col) {
        long at = blockAt(row, col / BLOCK);
        int j = col % BLOCK;
        int b = data.get(ValueLayout.JAVA_BYTE, at + 2 + j % HALF) & 0xFF;
        int q = j < HALF ? b & 0x0F : b >> 4;
        return (q - 8) * Float.float16ToFloat(data.get(Numerics.I16, at));
    }

    @Override
    public float dotReference(int row, float[] x, int xOffset) {
        float sum = 0;
        for (int c = 0; c < cols; c++) {
            sum += weight(row, c) * x[xOffset + c];
        }
        return sum;
    }

    @Override
    public void row(int row, float[] dst, int dstOffset) {
        for (int c = 0; c < cols; c++) {
            dst[dstOffset + c] = weight(row, c);
        }
    }

    @Override
    public long bytes() {
        return (long) rows * (cols / BLOCK) * BLOCK_BYTES;
    }

    @Override
    public String format() {
        return "q4_0";
    }
}

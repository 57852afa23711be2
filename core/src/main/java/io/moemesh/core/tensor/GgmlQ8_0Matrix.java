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
 * llama.cpp's Q8_0 in its native GGUF layout: each row is {@code cols / 32} blocks of 34 bytes, an fp16 scale d
 * then 32 int8 quants, w = q · d. The same numbers as {@link Q8Matrix}, with scales interleaved with the quants.
 */
public record GgmlQ8_0Matrix(MemorySegment data, int rows, int cols) implements Matrix {
    static final int BLOCK = 32, BLOCK_BYTES = 34;

    public GgmlQ8_0Matrix {
        GgmlBlocks.check(data, rows, cols, BLOCK, BLOCK_BYTES, "Q8_0");
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

    private FloatVector blockDot(long at, float[] x, int xAt) {
        FloatVector sum = FloatVector.zero(F);
        for (int k = 0; k < BLOCK; k += B.length()) {
            ByteVector q = ByteVector.fromMemorySegment(B, data, at + 2 + k, ByteOrder.LITTLE_ENDIAN);
            for (int p = 0; p < PARTS; p++) {
                sum = ((FloatVector) q.convertShape(VectorOperators.B2F, F, p))
                        .fma(FloatVector.fromArray(F, x, xAt + k + p * F.length()), sum);
            }
        }
        return sum;
    }

    private FloatVector scale(long at) {
        return FloatVector.broadcast(F, Float.float16ToFloat(data.get(Numerics.I16, at)));
    }

    /** ggml's dequantize_row_q8_0: y = qs[j] · d. */
    private float weight(int row, int col) {
        long at = blockAt(row, col / BLOCK);
        return data.get(ValueLayout.JAVA_BYTE, at + 2 + col % BLOCK) * Float.float16ToFloat(data.get(Numerics.I16, at));
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
        return "q8_0";
    }
}

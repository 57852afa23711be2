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
public record GgmlQ4_0Matrix(MemorySegment data, int rows, int cols) implements ScaledBlocks {
    static final int BLOCK_BYTES = 18, HALF = 16;

    public GgmlQ4_0Matrix {
        GgmlBlocks.check(data, rows, cols, BLOCK, BLOCK_BYTES, "Q4_0");
    }

    private long blockAt(int row, int block) {
        return ((long) row * (cols / BLOCK) + block) * BLOCK_BYTES;
    }

    /** Σ (q − 8)·x over one block: low nibbles against x[0..16), high nibbles against x[16..32). */
    @Override
    public FloatVector blockDot(int row, int block, float[] x, int xOffset) {
        long at = blockAt(row, block);
        int xAt = xOffset + block * BLOCK;
        FloatVector sum = FloatVector.zero(F);
        // Low nibbles (columns 0..15) first, then high (16..31): ascending columns, the order levels() lays out.
        for (int half = 0; half < 2; half++) {
            for (int k = 0; k < HALF; k += B.length()) {
                ByteVector nibbles = nibbles(at + 2 + k, half);
                for (int p = 0; p < PARTS; p++) {
                    sum = ((FloatVector) nibbles.convertShape(VectorOperators.B2F, F, p))
                            .fma(FloatVector.fromArray(F, x, xAt + half * HALF + k + p * F.length()), sum);
                }
            }
        }
        return sum;
    }

    /** The levels q − 8 of B.length() bytes' low ({@code half} 0) or high (1) nibbles. */
    private ByteVector nibbles(long at, int half) {
        ByteVector bytes = ByteVector.fromMemorySegment(B, data, at, ByteOrder.LITTLE_ENDIAN);
        // a shift by 0 or 4, not a choice between two vectors: a vector that flows through a branch gets boxed
        return bytes.lanewise(VectorOperators.LSHR, 4 * half).and((byte) 0x0F).sub((byte) 8);
    }

    @Override
    public void levels(int row, int block, float[] dst) {
        long at = blockAt(row, block);
        for (int half = 0; half < 2; half++) {
            for (int k = 0; k < HALF; k += B.length()) {
                ByteVector nibbles = nibbles(at + 2 + k, half);
                for (int p = 0; p < PARTS; p++) {
                    ((FloatVector) nibbles.convertShape(VectorOperators.B2F, F, p)).intoArray(dst, half * HALF + k + p * F.length());
                }
            }
        }
    }

    @Override
    public float scale(int row, int block) {
        return Float.float16ToFloat(data.get(Numerics.I16, blockAt(row, block)));
    }

    /** ggml's dequantize_row_q4_0: y[j] = ((qs[j] & 0xF) − 8)·d, y[j + 16] = ((qs[j] >> 4) − 8)·d. */
    @Override
    public int level(int row, int col) {
        int j = col % BLOCK;
        int b = data.get(ValueLayout.JAVA_BYTE, blockAt(row, col / BLOCK) + 2 + j % HALF) & 0xFF;
        return (j < HALF ? b & 0x0F : b >> 4) - 8;
    }

    @Override
    public float dot(int row, float[] x, int xOffset) {
        // ScaledBlocks' blocked sum, written out here so that blockDot is inlined into it (a FloatVector returned
        // from a call that is not inlined gets boxed: 3x slower at batch 1, measured)
        int full = cols / BLOCK;
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        int b = 0;
        for (; b + 1 < full; b += 2) {
            acc0 = blockDot(row, b, x, xOffset).fma(FloatVector.broadcast(F, scale(row, b)), acc0);
            acc1 = blockDot(row, b + 1, x, xOffset).fma(FloatVector.broadcast(F, scale(row, b + 1)), acc1);
        }
        if (b < full) {
            acc0 = blockDot(row, b, x, xOffset).fma(FloatVector.broadcast(F, scale(row, b)), acc0);
        }
        return ScaledBlocks.partialBlock(this, row, x, xOffset, VectorMath.sumLanes(acc0.add(acc1)));
    }

    /** {@link ScaledBlocks#dot4}, written out for this layout (see there). */
    @Override
    public void dot4(int row, float[] x, int xOffset, int stride, float[] out) {
        int cols = cols(), full = cols / BLOCK, step = F.length();
        int o0 = xOffset, o1 = xOffset + stride, o2 = xOffset + 2 * stride, o3 = xOffset + 3 * stride;
        float[] w = ScaledBlocks.LEVELS.get();
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;   // even blocks
        FloatVector b0 = a0, b1 = a0, b2 = a0, b3 = a0;                    // odd blocks
        for (int b = 0; b < full; b++) {
            levels(row, b, w);
            FloatVector scale = FloatVector.broadcast(F, scale(row, b));
            FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0;
            int c0 = b * BLOCK;
            for (int v = 0; v < BLOCK; v += step) {
                FloatVector lv = FloatVector.fromArray(F, w, v);
                s0 = lv.fma(FloatVector.fromArray(F, x, o0 + c0 + v), s0);
                s1 = lv.fma(FloatVector.fromArray(F, x, o1 + c0 + v), s1);
                s2 = lv.fma(FloatVector.fromArray(F, x, o2 + c0 + v), s2);
                s3 = lv.fma(FloatVector.fromArray(F, x, o3 + c0 + v), s3);
            }
            if ((b & 1) == 0) {
                a0 = s0.fma(scale, a0);
                a1 = s1.fma(scale, a1);
                a2 = s2.fma(scale, a2);
                a3 = s3.fma(scale, a3);
            } else {
                b0 = s0.fma(scale, b0);
                b1 = s1.fma(scale, b1);
                b2 = s2.fma(scale, b2);
                b3 = s3.fma(scale, b3);
            }
        }
        out[0] = VectorMath.sumLanes(a0.add(b0));
        out[1] = VectorMath.sumLanes(a1.add(b1));
        out[2] = VectorMath.sumLanes(a2.add(b2));
        out[3] = VectorMath.sumLanes(a3.add(b3));
        if (full * BLOCK < cols) {
            float scale = scale(row, full);
            for (int k = 0; k < 4; k++) {
                float partial = 0;
                for (int c = full * BLOCK; c < cols; c++) {
                    partial += level(row, c) * x[xOffset + k * stride + c];
                }
                out[k] += partial * scale;
            }
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

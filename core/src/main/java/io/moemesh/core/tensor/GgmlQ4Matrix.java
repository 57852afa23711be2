package io.moemesh.core.tensor;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import static io.moemesh.core.tensor.QuantBlocks.B;
import static io.moemesh.core.tensor.QuantBlocks.BLOCK;
import static io.moemesh.core.tensor.QuantBlocks.F;
import static io.moemesh.core.tensor.QuantBlocks.PARTS;

/**
 * llama.cpp's Q4_0 as GGUF stores it, read in place: each row in blocks of 32 columns, w = (q - 8) · d with
 * q ∈ [0, 15], 18 bytes per block: the fp16 scale d, then 16 bytes of nibbles, column j in the low nibble of
 * byte j and column j + 16 in the high one (so one byte load yields two runs of consecutive columns). Our own q4
 * ({@link Q4Matrix}) lays the same levels out for the kernel instead, and {@code --weights q4} repacks these
 * blocks into it without loss.
 */
public record GgmlQ4Matrix(BlockLayout layout, int rows, int cols) implements ScaledBlocks {
    private static final int BLOCK_BYTES = BLOCK / 2;

    public static GgmlQ4Matrix ggml(MemorySegment data, int rows, int cols) {
        return new GgmlQ4Matrix(BlockLayout.ggml(data, rows, cols, 2 + BLOCK_BYTES, "Q4_0"), rows, cols);
    }

    @Override
    public float scale(int row, int block) {
        return layout.scale(row, block);
    }

    /** q - 8 for one column. */
    @Override
    public int level(int row, int col) {
        int j = col % BLOCK;
        int b = layout.levels().get(ValueLayout.JAVA_BYTE, layout.levelsAt(row, col / BLOCK) + j % BLOCK_BYTES);
        return (j < BLOCK_BYTES ? b & 0x0F : (b >> 4) & 0x0F) - 8;
    }

    @Override
    public void levels(int row, int block, float[] dst, int dstOffset) {
        long at = layout.levelsAt(row, block);
        for (int half = 0; half < 2; half++) {
            for (int k = 0; k < BLOCK_BYTES; k += B.length()) {
                // the levels q - 8 of the low (half 0) or high (1) nibbles: a shift by 0 or 4, not a choice between
                // two vectors (a vector that flows through a branch gets boxed), written out (see ScaledBlocks#dot)
                ByteVector nibbles = ByteVector.fromMemorySegment(B, layout.levels(), at + k, ByteOrder.LITTLE_ENDIAN)
                        .lanewise(VectorOperators.LSHR, 4 * half).and((byte) 0x0F).sub((byte) 8);
                for (int p = 0; p < PARTS; p++) {
                    ((FloatVector) nibbles.convertShape(VectorOperators.B2F, F, p)).intoArray(dst, dstOffset + half * BLOCK_BYTES + k + p * F.length());
                }
            }
        }
    }

    @Override
    public float dot(int row, float[] x, int xOffset, float[] scales) {
        // ScaledBlocks' blocked sum, written out in full (see there). Within a block: low nibbles (columns 0..15)
        // first, then high (16..31), the ascending order levels() lays out.
        int full = cols / BLOCK;
        FloatVector acc0 = FloatVector.zero(F);   // even blocks
        FloatVector acc1 = FloatVector.zero(F);   // odd blocks
        for (int b = 0; b < full; b++) {
            long at = layout.levelsAt(row, b);
            int c0 = xOffset + b * BLOCK;
            FloatVector sum = FloatVector.zero(F);
            if (B.length() == BLOCK_BYTES) {
                // One load holds the whole block: low nibbles are columns 0..15 (mask), high ones 16..31 (a logical
                // shift leaves them alone: no mask), in the same order as below. Half the loads and byte ops.
                ByteVector bytes = ByteVector.fromMemorySegment(B, layout.levels(), at, ByteOrder.LITTLE_ENDIAN);
                ByteVector low = bytes.and((byte) 0x0F).sub((byte) 8);
                ByteVector high = bytes.lanewise(VectorOperators.LSHR, 4).sub((byte) 8);
                for (int p = 0; p < PARTS; p++) {
                    sum = ((FloatVector) low.convertShape(VectorOperators.B2F, F, p))
                            .fma(FloatVector.fromArray(F, x, c0 + p * F.length()), sum);
                }
                for (int p = 0; p < PARTS; p++) {
                    sum = ((FloatVector) high.convertShape(VectorOperators.B2F, F, p))
                            .fma(FloatVector.fromArray(F, x, c0 + BLOCK_BYTES + p * F.length()), sum);
                }
            } else {
                for (int half = 0; half < 2; half++) {
                    for (int k = 0; k < BLOCK_BYTES; k += B.length()) {
                        ByteVector nibbles = ByteVector.fromMemorySegment(B, layout.levels(), at + k, ByteOrder.LITTLE_ENDIAN)
                                .lanewise(VectorOperators.LSHR, 4 * half).and((byte) 0x0F).sub((byte) 8);
                        for (int p = 0; p < PARTS; p++) {
                            sum = ((FloatVector) nibbles.convertShape(VectorOperators.B2F, F, p))
                                    .fma(FloatVector.fromArray(F, x, c0 + half * BLOCK_BYTES + k + p * F.length()), sum);
                        }
                    }
                }
            }
            FloatVector scale = FloatVector.broadcast(F, scales[b]);
            if ((b & 1) == 0) {
                acc0 = sum.fma(scale, acc0);
            } else {
                acc1 = sum.fma(scale, acc1);
            }
        }
        return ScaledBlocks.partialBlock(this, row, x, xOffset, VectorMath.sumLanes(acc0.add(acc1)));
    }

    /** {@link ScaledBlocks#dot4}, written out for this layout (see there). */
    @Override
    public void dot4(int row, float[] x, int xOffset, int stride, float[] out) {
        int cols = cols(), full = cols / BLOCK, step = F.length();
        int o0 = xOffset, o1 = xOffset + stride, o2 = xOffset + 2 * stride, o3 = xOffset + 3 * stride;
        float[] w = RowBuffers.BLOCK_LEVELS.get();
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;   // even blocks
        FloatVector b0 = a0, b1 = a0, b2 = a0, b3 = a0;                    // odd blocks
        for (int b = 0; b < full; b++) {
            levels(row, b, w, 0);
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
        return layout.bytes();
    }

    @Override
    public String format() {
        return layout.format();
    }
}

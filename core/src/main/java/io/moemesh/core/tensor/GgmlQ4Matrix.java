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
    public float dot(int row, float[] x, int xOffset, float[] scales, int scalesOffset) {
        // ScaledBlocks' blocked sum, written out in full (see there). Within a block: low nibbles (columns 0..15)
        // first, then high (16..31), the ascending order levels() lays out.
        int full = cols / BLOCK;
        FloatVector acc0 = FloatVector.zero(F);   // even blocks
        FloatVector acc1 = FloatVector.zero(F);   // odd blocks
        long rowAt = layout.levelsAt(row, 0), blockBytes = layout.levelBlock();   // not levelsAt per block: see Q4Matrix.dot
        for (int b = 0; b < full; b++) {
            long at = rowAt + b * blockBytes;
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
            FloatVector scale = FloatVector.broadcast(F, scales[scalesOffset + b]);
            if ((b & 1) == 0) {
                acc0 = sum.fma(scale, acc0);
            } else {
                acc1 = sum.fma(scale, acc1);
            }
        }
        return ScaledBlocks.partialBlock(this, row, x, xOffset, VectorMath.sumLanes(acc0.add(acc1)));
    }
}

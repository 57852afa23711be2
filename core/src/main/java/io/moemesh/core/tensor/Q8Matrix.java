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
 * llama.cpp's Q8_0 as GGUF stores it, read in place: each row in blocks of 32 columns, w = q · scale with
 * q ∈ [-127, 127], 34 bytes per block (the fp16 scale, then 32 quants). {@code --weights int8} repacks these blocks
 * into our own layout ({@link Int8Matrix}) without loss; this kernel serves {@code --weights stored}.
 */
public record Q8Matrix(BlockLayout layout, int rows, int cols) implements ScaledBlocks {

    /** llama.cpp's Q8_0 as GGUF stores it (blocks of 34 bytes: fp16 scale, 32 quants), read in place. */
    public static Q8Matrix ggml(MemorySegment data, int rows, int cols) {
        return new Q8Matrix(BlockLayout.ggml(data, rows, cols, 34, "Q8_0"), rows, cols);
    }

    @Override
    public float scale(int row, int block) {
        return layout.scale(row, block);
    }

    @Override
    public int level(int row, int col) {
        return layout.levels().get(ValueLayout.JAVA_BYTE, layout.levelsAt(row, col / BLOCK) + col % BLOCK);
    }

    /** A whole row's levels, block after block in one loop (no call per block). */
    @Override
    public void levels(int row, float[] dst) {
        MemorySegment levels = layout.levels();
        for (int b = 0, full = cols / BLOCK; b < full; b++) {
            long at = layout.levelsAt(row, b);
            for (int k = 0; k < BLOCK; k += B.length()) {
                ByteVector q = ByteVector.fromMemorySegment(B, levels, at + k, ByteOrder.LITTLE_ENDIAN);
                for (int p = 0; p < PARTS; p++) {
                    ((FloatVector) q.convertShape(VectorOperators.B2F, F, p)).intoArray(dst, b * BLOCK + k + p * F.length());
                }
            }
        }
    }

    @Override
    public void levels(int row, int block, float[] dst, int dstOffset) {
        long at = layout.levelsAt(row, block);
        for (int k = 0; k < BLOCK; k += B.length()) {
            ByteVector q = ByteVector.fromMemorySegment(B, layout.levels(), at + k, ByteOrder.LITTLE_ENDIAN);
            for (int p = 0; p < PARTS; p++) {
                ((FloatVector) q.convertShape(VectorOperators.B2F, F, p)).intoArray(dst, dstOffset + k + p * F.length());
            }
        }
    }

    @Override
    public float dot(int row, float[] x, int xOffset, float[] scales, int scalesOffset) {
        // ScaledBlocks' blocked sum, written out in full (see there): bytes widen to floats in registers. Two blocks
        // a pass, even then odd (the same sums as one block a pass with a branch choosing the accumulator), and the
        // row's first byte and block stride in locals: the block-a-pass loop recomputed levelsAt's multiply from
        // fields every block and the JIT neither unrolled it nor kept it in registers. 16 -> 20 GB/s at one thread,
        // 27 -> 33 at two (bench kernels, 30B expert, A/B in one session). One loop with the odd block count leaving
        // mid-pass measured no slower than a separate tail block (25 vs 22 GB/s in a one-thread microbenchmark).
        int full = cols / BLOCK;
        MemorySegment levels = layout.levels();
        long rowAt = layout.levelsAt(row, 0), blockBytes = layout.levelBlock();
        FloatVector acc0 = FloatVector.zero(F);   // even blocks
        FloatVector acc1 = FloatVector.zero(F);   // odd blocks
        for (int b = 0; b < full; b += 2) {
            long at = rowAt + b * blockBytes;
            int c0 = xOffset + b * BLOCK;
            FloatVector sum = FloatVector.zero(F);
            for (int k = 0; k < BLOCK; k += B.length()) {
                ByteVector q = ByteVector.fromMemorySegment(B, levels, at + k, ByteOrder.LITTLE_ENDIAN);
                for (int p = 0; p < PARTS; p++) {
                    FloatVector w = (FloatVector) q.convertShape(VectorOperators.B2F, F, p);
                    sum = w.fma(FloatVector.fromArray(F, x, c0 + k + p * F.length()), sum);
                }
            }
            acc0 = sum.fma(FloatVector.broadcast(F, scales[scalesOffset + b]), acc0);
            if (b + 1 == full) {
                break;   // an odd count of blocks: the last one is even
            }
            sum = FloatVector.zero(F);
            for (int k = 0; k < BLOCK; k += B.length()) {
                ByteVector q = ByteVector.fromMemorySegment(B, levels, at + blockBytes + k, ByteOrder.LITTLE_ENDIAN);
                for (int p = 0; p < PARTS; p++) {
                    FloatVector w = (FloatVector) q.convertShape(VectorOperators.B2F, F, p);
                    sum = w.fma(FloatVector.fromArray(F, x, c0 + BLOCK + k + p * F.length()), sum);
                }
            }
            acc1 = sum.fma(FloatVector.broadcast(F, scales[scalesOffset + b + 1]), acc1);
        }
        return ScaledBlocks.partialBlock(this, row, x, xOffset, VectorMath.sumLanes(acc0.add(acc1)));
    }
}

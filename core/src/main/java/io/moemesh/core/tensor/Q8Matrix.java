package io.moemesh.core.tensor;

import io.moemesh.core.weights.Numerics;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import static io.moemesh.core.tensor.QuantBlocks.B;
import static io.moemesh.core.tensor.QuantBlocks.BLOCK;
import static io.moemesh.core.tensor.QuantBlocks.F;
import static io.moemesh.core.tensor.QuantBlocks.PARTS;

/**
 * int8 weights, llama.cpp's Q8_0: each row in blocks of 32 columns, w[r][c] = q[r][c] · scale[r][c / 32] with
 * q ∈ [-127, 127] and scale = max|w| / 127 of the block (fp16, rounded up). Quants are row-major bytes in one
 * segment (exactly {@code cols} per row, so vector loads stay contiguous); fp16 scales are in a second one,
 * {@code ceil(cols / 32)} per row. 34 bytes per 32 weights: about half of bf16's traffic, error ≤ scale / 2.
 */
public record Q8Matrix(BlockLayout layout, int rows, int cols) implements ScaledBlocks {

    /** llama.cpp's Q8_0 as GGUF stores it (blocks of 34 bytes: fp16 scale, 32 quants), read in place. */
    public static Q8Matrix ggml(MemorySegment data, int rows, int cols) {
        return new Q8Matrix(BlockLayout.ggml(data, rows, cols, 34, "Q8_0"), rows, cols);
    }

    /** The same weights over copies of the memory. */
    public Q8Matrix copy(Arena arena) {
        return new Q8Matrix(layout.copy(arena), rows, cols);
    }

    public static Q8Matrix quantize(Matrix source, Arena arena) {
        int rows = source.rows(), cols = source.cols(), blocks = QuantBlocks.blocks(cols);
        MemorySegment quants = arena.allocate((long) rows * cols, 64);
        MemorySegment scales = arena.allocate((long) rows * blocks * 2, 64);
        QuantBlocks.forRows(rows, quants, (first, end) -> {
            float[] w = new float[cols];
            for (int r = first; r < end; r++) {
                source.row(r, w, 0);
                for (int b = 0; b < blocks; b++) {
                    int from = b * BLOCK, to = Math.min(cols, from + BLOCK);
                    QuantBlocks.requireFinite(w, from, to, r);
                    float max = 0;
                    for (int c = from; c < to; c++) {
                        max = Math.max(max, Math.abs(w[c]));
                    }
                    short half = QuantBlocks.fp16AtLeast(max / 127);
                    float scale = Float.float16ToFloat(half);
                    scales.setAtIndex(Numerics.I16, (long) r * blocks + b, half);
                    for (int c = from; c < to; c++) {
                        int q = scale == 0 ? 0 : Math.clamp(Math.round(w[c] / scale), -127, 127);
                        quants.set(ValueLayout.JAVA_BYTE, (long) r * cols + c, (byte) q);
                    }
                }
            }
        });
        return new Q8Matrix(BlockLayout.separate(quants, cols, BLOCK, scales, rows, cols, "int8"), rows, cols);
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

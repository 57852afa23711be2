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
public record Q8Matrix(MemorySegment quants, MemorySegment scales, int rows, int cols) implements ScaledBlocks {

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
        return new Q8Matrix(quants, scales, rows, cols);
    }

    @Override
    public float scale(int row, int block) {
        return Float.float16ToFloat(scales.getAtIndex(Numerics.I16, (long) row * QuantBlocks.blocks(cols) + block));
    }

    @Override
    public int level(int row, int col) {
        return quants.get(ValueLayout.JAVA_BYTE, (long) row * cols + col);
    }

    /** Σ q·x over one full block, in float lanes: bytes widen to floats in registers. */
    @Override
    public FloatVector blockDot(int row, int block, float[] x, int xOffset) {
        long qBase = (long) row * cols;
        int c0 = block * BLOCK;
        FloatVector sum = FloatVector.zero(F);
        for (int k = 0; k < BLOCK; k += B.length()) {
            ByteVector q = ByteVector.fromMemorySegment(B, quants, qBase + c0 + k, ByteOrder.LITTLE_ENDIAN);
            for (int p = 0; p < PARTS; p++) {
                FloatVector w = (FloatVector) q.convertShape(VectorOperators.B2F, F, p);
                sum = w.fma(FloatVector.fromArray(F, x, xOffset + c0 + k + p * F.length()), sum);
            }
        }
        return sum;
    }

    @Override
    public void levels(int row, int block, float[] dst) {
        long at = (long) row * cols + (long) block * BLOCK;
        for (int k = 0; k < BLOCK; k += B.length()) {
            ByteVector q = ByteVector.fromMemorySegment(B, quants, at + k, ByteOrder.LITTLE_ENDIAN);
            for (int p = 0; p < PARTS; p++) {
                ((FloatVector) q.convertShape(VectorOperators.B2F, F, p)).intoArray(dst, k + p * F.length());
            }
        }
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

    /** ScaledBlocks' four-token kernel, compiled for this class alone (levels() then inlines on an exact type). */
    @Override
    public void dot4(int row, float[] x, int xOffset, int stride, float[] out) {
        ScaledBlocks.super.dot4(row, x, xOffset, stride, out);
    }

    @Override
    public long bytes() {
        return (long) rows * cols + (long) rows * QuantBlocks.blocks(cols) * 2;
    }

    @Override
    public String format() {
        return "int8";
    }
}

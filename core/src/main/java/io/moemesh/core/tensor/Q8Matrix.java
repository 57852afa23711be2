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
    public float dot(int row, float[] x, int xOffset, float[] scales) {
        // ScaledBlocks' blocked sum, written out in full (see there): bytes widen to floats in registers.
        int full = cols / BLOCK;
        MemorySegment levels = layout.levels();
        FloatVector acc0 = FloatVector.zero(F);   // even blocks
        FloatVector acc1 = FloatVector.zero(F);   // odd blocks
        for (int b = 0; b < full; b++) {
            long at = layout.levelsAt(row, b);
            int c0 = xOffset + b * BLOCK;
            FloatVector sum = FloatVector.zero(F);
            for (int k = 0; k < BLOCK; k += B.length()) {
                ByteVector q = ByteVector.fromMemorySegment(B, levels, at + k, ByteOrder.LITTLE_ENDIAN);
                for (int p = 0; p < PARTS; p++) {
                    FloatVector w = (FloatVector) q.convertShape(VectorOperators.B2F, F, p);
                    sum = w.fma(FloatVector.fromArray(F, x, c0 + k + p * F.length()), sum);
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

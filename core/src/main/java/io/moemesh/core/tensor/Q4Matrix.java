package io.moemesh.core.tensor;

import io.moemesh.core.weights.Numerics;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;

import static io.moemesh.core.tensor.QuantBlocks.B;
import static io.moemesh.core.tensor.QuantBlocks.BLOCK;
import static io.moemesh.core.tensor.QuantBlocks.F;
import static io.moemesh.core.tensor.QuantBlocks.PARTS;

/**
 * 4-bit weights in llama.cpp's Q4_0 layout: each row in blocks of 32 columns, w = (q - 8) · scale with
 * q ∈ [0, 15] and one signed fp16 scale per block. A block's 32 nibbles take 16 bytes, column j in the low
 * nibble of byte j and column j + 16 in the high one, so one byte load yields two runs of consecutive columns
 * (a mask and a shift, no shuffles). The last block of a row takes 16 bytes even when partial. Packed nibbles
 * are one segment ({@code 16 · ceil(cols / 32)} bytes per row), fp16 scales a second: 18 bytes per 32 weights.
 *
 * <p>The grid [-8, 7] · scale is lopsided, so the scale is signed to put the extra level on the side of the
 * block's largest-magnitude weight m. Q4_0 takes scale = -m / 8. We try -m / k for k from 7 (nothing clamps)
 * to 9 (m itself clips to -8 · scale, one step off, for a finer step everywhere else) in quarter steps and
 * keep the least squared error: the same bytes and the same kernel, never worse than Q4_0 on a block, and
 * about 10% less squared error on Gaussian weights. Weights inside the grid are within |scale| / 2; clipped
 * ones are off by their distance to the grid's end, under 2 · |scale|.
 */
public record Q4Matrix(BlockLayout layout, int rows, int cols) implements ScaledBlocks {
    private static final int BLOCK_BYTES = BLOCK / 2;
    /** Grid steps the largest weight may span; Q4_0's 8 first, so it wins ties. */
    private static final float[] STEPS_FOR_MAX = {8f, 9f, 8.75f, 8.5f, 8.25f, 7.75f, 7.5f, 7.25f, 7f};

    /** llama.cpp's Q4_0 as GGUF stores it (blocks of 18 bytes: fp16 scale, 16 bytes of nibbles), read in place. */
    public static Q4Matrix ggml(MemorySegment data, int rows, int cols) {
        return new Q4Matrix(BlockLayout.ggml(data, rows, cols, 2 + BLOCK_BYTES, "Q4_0"), rows, cols);
    }

    /** The same weights over copies of the memory. */
    public Q4Matrix copy(Arena arena) {
        return new Q4Matrix(layout.copy(arena), rows, cols);
    }

    public static Q4Matrix quantize(Matrix source, Arena arena) {
        int rows = source.rows(), cols = source.cols(), blocks = QuantBlocks.blocks(cols);
        MemorySegment packed = arena.allocate((long) rows * blocks * BLOCK_BYTES, 64);
        MemorySegment scales = arena.allocate((long) rows * blocks * 2, 64);
        QuantBlocks.forRows(rows, packed, (first, end) -> {
            float[] w = new float[cols];
            byte[] q = new byte[BLOCK];
            for (int r = first; r < end; r++) {
                source.row(r, w, 0);
                for (int b = 0; b < blocks; b++) {
                    int from = b * BLOCK, to = Math.min(cols, from + BLOCK);
                    QuantBlocks.requireFinite(w, from, to, r);
                    short half = bestScale(w, from, to);
                    scales.setAtIndex(Numerics.I16, (long) r * blocks + b, half);
                    float scale = Float.float16ToFloat(half);
                    Arrays.fill(q, (byte) 8);   // padding of a partial block reads as weight 0
                    for (int c = from; c < to; c++) {
                        q[c - from] = (byte) level(w[c], scale);
                    }
                    long at = ((long) r * blocks + b) * BLOCK_BYTES;
                    for (int j = 0; j < BLOCK_BYTES; j++) {
                        packed.set(ValueLayout.JAVA_BYTE, at + j, (byte) (q[j] | q[j + BLOCK_BYTES] << 4));
                    }
                }
            }
        });
        long rowBytes = (long) blocks * BLOCK_BYTES;
        return new Q4Matrix(BlockLayout.separate(packed, rowBytes, BLOCK_BYTES, scales, rows, cols, "q4"), rows, cols);
    }

    private static int level(float w, float scale) {
        return scale == 0 ? 8 : Math.clamp(Math.round(w / scale) + 8, 0, 15);
    }

    /** The candidate fp16 scale with the least squared error over w[from, to). */
    private static short bestScale(float[] w, int from, int to) {
        float m = 0;
        for (int c = from; c < to; c++) {
            if (Math.abs(w[c]) > Math.abs(m)) {
                m = w[c];
            }
        }
        if (m == 0) {
            return 0;
        }
        short best = 0;
        double bestError = Double.POSITIVE_INFINITY;
        for (float steps : STEPS_FOR_MAX) {
            short half = (short) (QuantBlocks.fp16AtLeast(Math.abs(m) / steps) | (m > 0 ? 0x8000 : 0));
            float scale = Float.float16ToFloat(half);
            double error = 0;
            for (int c = from; c < to; c++) {
                double d = w[c] - (level(w[c], scale) - 8) * scale;
                error += d * d;
            }
            if (error < bestError) {
                best = half;
                bestError = error;
            }
        }
        return best;
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

    /** The levels q − 8 of B.length() bytes' low ({@code half} 0) or high (1) nibbles. */
    private ByteVector nibbles(long at, int half) {
        ByteVector bytes = ByteVector.fromMemorySegment(B, layout.levels(), at, ByteOrder.LITTLE_ENDIAN);
        // a shift by 0 or 4, not a choice between two vectors: a vector that flows through a branch gets boxed
        return bytes.lanewise(VectorOperators.LSHR, 4 * half).and((byte) 0x0F).sub((byte) 8);
    }

    @Override
    public void levels(int row, int block, float[] dst) {
        long at = layout.levelsAt(row, block);
        for (int half = 0; half < 2; half++) {
            for (int k = 0; k < BLOCK_BYTES; k += B.length()) {
                ByteVector nibbles = nibbles(at + k, half);
                for (int p = 0; p < PARTS; p++) {
                    ((FloatVector) nibbles.convertShape(VectorOperators.B2F, F, p)).intoArray(dst, half * BLOCK_BYTES + k + p * F.length());
                }
            }
        }
    }

    @Override
    public float dot(int row, float[] x, int xOffset) {
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
                        ByteVector nibbles = nibbles(at + k, half);
                        for (int p = 0; p < PARTS; p++) {
                            sum = ((FloatVector) nibbles.convertShape(VectorOperators.B2F, F, p))
                                    .fma(FloatVector.fromArray(F, x, c0 + half * BLOCK_BYTES + k + p * F.length()), sum);
                        }
                    }
                }
            }
            FloatVector scale = FloatVector.broadcast(F, scale(row, b));
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
        return layout.bytes();
    }

    @Override
    public String format() {
        return layout.format();
    }
}

package io.moemesh.core.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.function.Supplier;

import static io.moemesh.core.tensor.QuantBlocks.BLOCK;
import static io.moemesh.core.tensor.QuantBlocks.F;

/**
 * Our 4-bit weights ({@code --weights q4}): w = level · scale with level ∈ [-8, 7] and one signed fp16 scale per
 * row and block of 32 columns, as llama.cpp's Q4_0 — but with rows interleaved in panels ({@link RowPanels}).
 *
 * <p><b>Layout.</b> A group's column is one vector of L ints: int lane l holds panel n's row l in bits 4n..4n+3, as
 * u = level + 8 ∈ [0, 15]. The kernels do not convert u: one rotation brings panel n's nibble to the top of a float's
 * mantissa and one bitwise select (and, or) sets the exponent of 1, which reads as the float v = 1 + u/16, exactly.
 * So level = 16·(v − 1.5), and a block's Σ level·x = 16·(−1.5·Σx + Σ v·x): the kernels start each block's sum from
 * −1.5·Σx ({@link #valueOffset}; Σx once per call and token) and multiply it by 16·scale ({@link #levelsPerValue}).
 * Three vector operations per L weights with the multiply-add, where shifting the level out and converting it to
 * float took four, and Q4_0's byte layout five (mask, subtract 8, widen on the shuffle port, convert). Summing
 * v ≈ 1.5 instead of the level costs a few low bits of the sum: far below the 4-bit grid's step. 4.5 bits per
 * weight, as Q4_0.
 *
 * <p><b>Scales.</b> The grid [-8, 7] · scale is lopsided, so the scale is signed to put the extra level on the side
 * of the block's largest-magnitude weight m. Q4_0 takes scale = -m / 8. We try -m / k for k from 7 (nothing
 * clamps) to 9 (m itself clips to -8 · scale, one step off, for a finer step everywhere else) in quarter steps and
 * keep the least squared error: never worse than Q4_0 on a block, and about 10% less squared error on Gaussian
 * weights. Weights inside the grid are within |scale| / 2; clipped ones are off by their distance to the grid's
 * end, under 2 · |scale|.
 */
public record Q4Matrix(MemorySegment levels, MemorySegment scales, int rows, int cols) implements ScaledPanels {
    /** Rows of a group: eight panels, one per nibble of an int lane. */
    public static final int GROUP_ROWS = RowPanels.GROUP_ROWS;
    /** Bytes of one column of a group. */
    private static final int COLUMN_BYTES = 4 * L;
    /** The nibble's bits at the top of a float's mantissa (bits 19..22), and the exponent of 1.0f. */
    private static final int MANTISSA_NIBBLE = 0xF << 19, ONE = 0x3F800000;
    /** The value of level 0: 1 + 8/16. */
    private static final float MIDDLE = 1.5f;
    private static final ValueLayout.OfInt LANE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** Grid steps the largest weight may span; Q4_0's 8 first, so it wins ties. */
    private static final float[] STEPS_FOR_MAX = {8f, 9f, 8.75f, 8.5f, 8.25f, 7.75f, 7.5f, 7.25f, 7f};
    /** The same weights over copies of the memory. */
    public Q4Matrix copy(Arena arena) {
        return new Q4Matrix(arena.allocate(levels.byteSize(), 64).copyFrom(levels),
                arena.allocate(scales.byteSize(), 64).copyFrom(scales), rows, cols);
    }

    public static Q4Matrix quantize(Matrix source, Arena arena) {
        return pack(source.rows(), source.cols(), arena, ScaledPanels.quantizing(source, new BlockRule() {
            @Override
            public short scale(float[] w, int from, int to) {
                return bestScale(w, from, to);
            }

            @Override
            public int level(float w, float scale) {
                return Q4Matrix.level(w, scale);
            }
        }));
    }

    /** The same levels and scales in this layout: exact, for 4-bit blocks read from a GGUF file (Q4_0). */
    public static Q4Matrix repack(GgmlQ4Matrix source, Arena arena) {
        return pack(source.rows(), source.cols(), arena, ScaledPanels.exactly(source));
    }

    /** A group's column is L ints: int lane l holds panel n's row l in nibble n. */
    private static Q4Matrix pack(int rows, int cols, Arena arena, Supplier<RowLevels> perThread) {
        int width = QuantBlocks.blocks(cols) * BLOCK;
        MemorySegment packed = arena.allocate((long) RowPanels.groups(rows) * width * COLUMN_BYTES, 64);
        MemorySegment scales = ScaledPanels.pack(rows, cols, packed, arena, perThread, (g, levels, out) -> {
            long at = (long) g * width * COLUMN_BYTES;
            for (int c = 0; c < width; c++) {
                for (int lane = 0; lane < L; lane++, at += 4) {
                    int word = 0;
                    for (int n = 0; n < 8; n++) {
                        word |= (levels[n * L + lane][c] + 8) << 4 * n;
                    }
                    out.set(LANE, at, word);
                }
            }
        });
        return new Q4Matrix(packed, scales, rows, cols);
    }

    private static int level(float w, float scale) {
        return scale == 0 ? 0 : Math.clamp(Math.round(w / scale), -8, 7);
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
        float bestError = Float.POSITIVE_INFINITY;
        for (float steps : STEPS_FOR_MAX) {
            short half = (short) (QuantBlocks.fp16AtLeast(Math.abs(m) / steps) | (m > 0 ? 0x8000 : 0));
            float scale = Float.float16ToFloat(half);
            float error = to - from == BLOCK ? blockError(w, from, scale) : error(w, from, to, scale);
            if (error < bestError) {
                best = half;
                bestError = error;
            }
        }
        return best;
    }

    /** Σ (w − level·scale)² over w[from, to), one weight at a time: partial blocks, and the twin of blockError. */
    static float error(float[] w, int from, int to, float scale) {
        float error = 0;
        for (int c = from; c < to; c++) {
            float d = w[c] - level(w[c], scale) * scale;
            error += d * d;
        }
        return error;
    }

    /**
     * {@link #error} of a full block in vector lanes, with the same levels: the quotient as level() divides it,
     * rounded as Math.round does (to the nearest integer, ties upwards: truncate, then step by the remainder), then
     * clamped. Summed in another order, so the last bits differ. The scale search runs it nine times per block,
     * and in scalar code it was two thirds of loading a checkpoint as q4 (profiled).
     */
    static float blockError(float[] w, int from, float scale) {
        FloatVector s = FloatVector.broadcast(F, scale), error = FloatVector.zero(F);
        for (int v = 0; v < BLOCK; v += F.length()) {
            FloatVector wv = FloatVector.fromArray(F, w, from + v);
            FloatVector quotient = wv.div(s);
            FloatVector truncated = (FloatVector) quotient.convert(VectorOperators.F2I, 0).convert(VectorOperators.I2F, 0);
            FloatVector remainder = quotient.sub(truncated);
            FloatVector level = truncated.add(1f, remainder.compare(VectorOperators.GE, 0.5f))
                    .sub(1f, remainder.compare(VectorOperators.LT, -0.5f)).max(-8f).min(7f);
            FloatVector d = wv.sub(level.mul(s));
            error = d.fma(d, error);
        }
        return VectorMath.sumLanes(error);
    }

    @Override
    public long bytes() {
        return levels.byteSize() + scales.byteSize();
    }

    @Override
    public String format() {
        return "q4";
    }

    /** Byte offset of column {@code col}'s levels in group {@code group} (blocks are whole columns apart). */
    private long columnAt(int group, int col) {
        return columnIndex(group, col) * COLUMN_BYTES;
    }

    @Override
    public int level(int row, int col) {
        return nibble(row, col) - 8;
    }

    private int nibble(int row, int col) {
        int within = row % GROUP_ROWS;
        int word = levels.get(LANE, columnAt(row / GROUP_ROWS, col) + 4L * (within % L));
        return word >>> 4 * (within / L) & 0xF;
    }

    /** What the kernels multiply: 1 + u/16, the nibble u = level + 8 under the exponent of 1. */
    @Override
    public float value(int row, int col) {
        return Float.intBitsToFloat(ONE | nibble(row, col) << 19);
    }

    @Override
    public float levelsPerValue() {
        return 16;
    }

    /** The values are 1 + (level + 8)/16: level/16 = value − 1.5. */
    @Override
    public float valueOffset() {
        return MIDDLE;
    }

    /**
     * Panel n's values from a column's L ints: nibble n rotated to the mantissa's top (bits 4n.. to 19..: left by
     * 19 − 4n mod 32, one operation whichever the direction), under the exponent of 1.
     */
    private static FloatVector panel(IntVector q, int n) {
        return q.lanewise(VectorOperators.ROL, 19 - 4 * n & 31).and(MANTISSA_NIBBLE).or(ONE).reinterpretAsFloats();
    }

    /** The values (1 + u/16) of the first {@code width} columns of (group, block), column k's group at k·8·L. */
    @Override
    public void decodeBlock(int group, int block, int width, float[] decoded) {
        long at = columnAt(group, block * BLOCK);
        for (int k = 0; k < width; k++, at += COLUMN_BYTES) {
            IntVector q = IntVector.fromMemorySegment(I, levels, at, ByteOrder.LITTLE_ENDIAN);
            int o = k * GROUP_ROWS;
            for (int n = 0; n < 8; n++) {
                panel(q, n).intoArray(decoded, o + n * L);
            }
        }
    }

    /**
     * {@link RowPanels#blockStreamed}: each column is one load of 8·L nibbles and one broadcast input value for
     * eight panels of a rotation, a bitwise select and a fused multiply-add ({@link #panel}'s written out). Two
     * columns a pass, written out: left to itself the JIT unrolled the one-column loop eight or more times and the
     * loop then read memory at half the speed (from L2 it made no difference; measured at one thread, 768 × 2048
     * from memory: 10 GB/s unrolled by the JIT, 22 two or four columns a pass). Small on purpose: a group-long method with four columns a pass sometimes
     * failed C1's profiling compile (out of virtual registers), and stuck in its first tier it ran 100x slower.
     */
    @Override
    public void blockStreamed(int group, int block, float[] x, int xo, float start, float[] totals, float[] blockScales) {
        long at = columnAt(group, block * BLOCK), end = at + BLOCK * COLUMN_BYTES;
        FloatVector s0 = FloatVector.broadcast(F, start), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
        FloatVector xk;
        IntVector q;
        for (; at < end; at += 2 * COLUMN_BYTES, xo += 2) {
            q = IntVector.fromMemorySegment(I, levels, at, ByteOrder.LITTLE_ENDIAN);
            xk = FloatVector.broadcast(F, x[xo]);
            s0 = q.lanewise(VectorOperators.ROL, 19).and(MANTISSA_NIBBLE).or(ONE).reinterpretAsFloats().fma(xk, s0);
            s1 = q.lanewise(VectorOperators.ROL, 15).and(MANTISSA_NIBBLE).or(ONE).reinterpretAsFloats().fma(xk, s1);
            s2 = q.lanewise(VectorOperators.ROL, 11).and(MANTISSA_NIBBLE).or(ONE).reinterpretAsFloats().fma(xk, s2);
            s3 = q.lanewise(VectorOperators.ROL, 7).and(MANTISSA_NIBBLE).or(ONE).reinterpretAsFloats().fma(xk, s3);
            s4 = q.lanewise(VectorOperators.ROL, 3).and(MANTISSA_NIBBLE).or(ONE).reinterpretAsFloats().fma(xk, s4);
            s5 = q.lanewise(VectorOperators.ROL, 31).and(MANTISSA_NIBBLE).or(ONE).reinterpretAsFloats().fma(xk, s5);
            s6 = q.lanewise(VectorOperators.ROL, 27).and(MANTISSA_NIBBLE).or(ONE).reinterpretAsFloats().fma(xk, s6);
            s7 = q.lanewise(VectorOperators.ROL, 23).and(MANTISSA_NIBBLE).or(ONE).reinterpretAsFloats().fma(xk, s7);
            q = IntVector.fromMemorySegment(I, levels, at + COLUMN_BYTES, ByteOrder.LITTLE_ENDIAN);
            xk = FloatVector.broadcast(F, x[xo + 1]);
            s0 = q.lanewise(VectorOperators.ROL, 19).and(MANTISSA_NIBBLE).or(ONE).reinterpretAsFloats().fma(xk, s0);
            s1 = q.lanewise(VectorOperators.ROL, 15).and(MANTISSA_NIBBLE).or(ONE).reinterpretAsFloats().fma(xk, s1);
            s2 = q.lanewise(VectorOperators.ROL, 11).and(MANTISSA_NIBBLE).or(ONE).reinterpretAsFloats().fma(xk, s2);
            s3 = q.lanewise(VectorOperators.ROL, 7).and(MANTISSA_NIBBLE).or(ONE).reinterpretAsFloats().fma(xk, s3);
            s4 = q.lanewise(VectorOperators.ROL, 3).and(MANTISSA_NIBBLE).or(ONE).reinterpretAsFloats().fma(xk, s4);
            s5 = q.lanewise(VectorOperators.ROL, 31).and(MANTISSA_NIBBLE).or(ONE).reinterpretAsFloats().fma(xk, s5);
            s6 = q.lanewise(VectorOperators.ROL, 27).and(MANTISSA_NIBBLE).or(ONE).reinterpretAsFloats().fma(xk, s6);
            s7 = q.lanewise(VectorOperators.ROL, 23).and(MANTISSA_NIBBLE).or(ONE).reinterpretAsFloats().fma(xk, s7);
        }
        s0.fma(FloatVector.fromArray(F, blockScales, 0), FloatVector.fromArray(F, totals, 0))
                .intoArray(totals, 0);
        s1.fma(FloatVector.fromArray(F, blockScales, L), FloatVector.fromArray(F, totals, L))
                .intoArray(totals, L);
        s2.fma(FloatVector.fromArray(F, blockScales, 2 * L), FloatVector.fromArray(F, totals, 2 * L))
                .intoArray(totals, 2 * L);
        s3.fma(FloatVector.fromArray(F, blockScales, 3 * L), FloatVector.fromArray(F, totals, 3 * L))
                .intoArray(totals, 3 * L);
        s4.fma(FloatVector.fromArray(F, blockScales, 4 * L), FloatVector.fromArray(F, totals, 4 * L))
                .intoArray(totals, 4 * L);
        s5.fma(FloatVector.fromArray(F, blockScales, 5 * L), FloatVector.fromArray(F, totals, 5 * L))
                .intoArray(totals, 5 * L);
        s6.fma(FloatVector.fromArray(F, blockScales, 6 * L), FloatVector.fromArray(F, totals, 6 * L))
                .intoArray(totals, 6 * L);
        s7.fma(FloatVector.fromArray(F, blockScales, 7 * L), FloatVector.fromArray(F, totals, 7 * L))
                .intoArray(totals, 7 * L);
    }
}

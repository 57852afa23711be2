package io.moemesh.core.tensor;

import io.moemesh.core.weights.FreshMemory;
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
import static io.moemesh.core.tensor.Q4Kernel.SUBNORMAL;
import static jdk.incubator.vector.VectorOperators.I2F;

/**
 * Our 4-bit weights ({@code --weights q4}): w = level · scale with level ∈ [-8, 7] and one signed fp16 scale per
 * row and block of 32 columns, as llama.cpp's Q4_0 — but with rows interleaved in panels ({@link RowPanels}).
 *
 * <p><b>Layout.</b> A group's column is one vector of L ints: int lane l holds each panel's row l in one nibble, as
 * u = level + 8 ∈ [0, 15]. Panels 0–3 are read in bits 19..22 of a lane (the top of a float's mantissa), panels
 * 4–7 in bits 15..18, so one rotation of the lane (by 0, 8, 16 or 24 bits) brings two panels' nibbles into place:
 * three rotations per column for eight panels, where a nibble per rotation took eight (the rotations bounded the
 * kernel: 33 → 37 GB/s from cache, one thread).
 *
 * <p><b>Values.</b> What every path multiplies (many tokens, {@code dot}, the twin's tolerance) is
 * v = u·2^-30 ({@link #value}), a block's sum starts from −8·2^-30·Σx ({@link #valueOffset}) and is multiplied by
 * 2^30·scale ({@link #levelsPerValue}): Σ level·x·scale. The decode kernel gets the very same products another way
 * ({@link Q4Kernel}): the nibble masked in place, read as a float, is the subnormal u·2^-130 (bits 19..22) or
 * u·2^-134 (15..18), which it multiplies by x·2^100 or x·2^104 (scaled copies of the input made once per call). A
 * fused multiply-add rounds only its exact result, and u·2^-130 · x·2^100 = u·2^-30 · x exactly, so the sums are
 * the same floats bit for bit. Per L weights that is a mask and a multiply-add (plus 3/8 of a rotation): no
 * conversion, no exponent to set. Where subnormal operands are slow (microcode assists on many Intel cores),
 * the kernel converts the masked nibble to float instead (u·2^19, times x·2^-49) — the same products again.
 * 4.5 bits per weight, as Q4_0.
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
    /** The two four-bit windows of a lane a nibble is read in: bits 19..22 (panels 0–3) and 15..18 (panels 4–7). */
    private static final int TOP_WINDOW = 0xF << 19, NEXT_WINDOW = 0xF << 15;
    /** What one unit of u is worth in the values every path multiplies. */
    private static final float UNIT = 0x1p-30f;
    private static final ValueLayout.OfInt LANE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** Grid steps the largest weight may span; Q4_0's 8 first, so it wins ties. */
    private static final float[] STEPS_FOR_MAX = {8f, 9f, 8.75f, 8.5f, 8.25f, 7.75f, 7.5f, 7.25f, 7f};
    /** The same weights over copies of the memory. */
    public Q4Matrix copy(Arena arena) {
        return new Q4Matrix(levelsMemory(arena, levels.byteSize()).copyFrom(levels),
                arena.allocate(scales.byteSize(), 64).copyFrom(scales), rows, cols);
    }

    /** How q4 quantizes a block (and q4a8, {@link Q4A8Matrix}): the scale of {@link #bestScale}, levels in [-8, 7]. */
    static final BlockRule BLOCK_RULE = new BlockRule() {
        @Override
        public short scale(float[] w, int from, int to) {
            return bestScale(w, from, to);
        }

        @Override
        public int level(float w, float scale) {
            return Q4Matrix.level(w, scale);
        }
    };

    public static Q4Matrix quantize(Matrix source, Arena arena) {
        return pack(source.rows(), source.cols(), arena, ScaledPanels.quantizing(source, BLOCK_RULE));
    }

    /** The same levels and scales in this layout: exact, for 4-bit blocks read from a GGUF file (Q4_0). */
    public static Q4Matrix repack(GgmlQ4Matrix source, Arena arena) {
        return pack(source.rows(), source.cols(), arena, ScaledPanels.exactly(source));
    }

    /** A group's column is L ints: int lane l holds panel n's row l at bit {@link #position}(n). */
    static Q4Matrix pack(int rows, int cols, Arena arena, Supplier<RowLevels> perThread) {
        int width = QuantBlocks.blocks(cols) * BLOCK;
        MemorySegment packed = levelsMemory(arena, (long) RowPanels.groups(rows) * width * COLUMN_BYTES);
        MemorySegment scales = ScaledPanels.pack(rows, cols, packed, arena, perThread, (g, levels, out) -> {
            // lane by lane over the columns, eight row arrays read in step, then one bulk copy: column by column with a
            // bounds-checked store per int, this loop was a sixth of loading a Q4_K_M file (JFR)
            int[] words = RowBuffers.packedWords(width * L);
            int p0 = position(0), p1 = position(1), p2 = position(2), p3 = position(3);
            int p4 = position(4), p5 = position(5), p6 = position(6), p7 = position(7);
            for (int lane = 0; lane < L; lane++) {
                byte[] r0 = levels[lane], r1 = levels[L + lane], r2 = levels[2 * L + lane], r3 = levels[3 * L + lane];
                byte[] r4 = levels[4 * L + lane], r5 = levels[5 * L + lane], r6 = levels[6 * L + lane];
                byte[] r7 = levels[7 * L + lane];
                for (int c = 0; c < width; c++) {
                    words[c * L + lane] = Integer.rotateLeft(r0[c] + 8, p0) | Integer.rotateLeft(r1[c] + 8, p1)
                            | Integer.rotateLeft(r2[c] + 8, p2) | Integer.rotateLeft(r3[c] + 8, p3)
                            | Integer.rotateLeft(r4[c] + 8, p4) | Integer.rotateLeft(r5[c] + 8, p5)
                            | Integer.rotateLeft(r6[c] + 8, p6) | Integer.rotateLeft(r7[c] + 8, p7);
                }
            }
            MemorySegment.copy(words, 0, out, LANE, (long) g * width * COLUMN_BYTES, width * L);
        });
        return new Q4Matrix(packed, scales, rows, cols);
    }

    /**
     * Memory for a matrix's levels that starts 64 bytes past a multiple of 256. The decode kernel reads levels that
     * start at a multiple of 256 bytes at half the speed: at one thread 13.8 against 28 GB/s from memory, at two 26
     * against 41 (30B expert, whatever the heap's layout; every other multiple of 64 ran the same, and int8 and bf16
     * showed no such effect). It is this CPU's load path, measured rather than understood; malloc gave ~2% of a
     * model's experts, and more of the benchmark's copies, such a start.
     */
    static MemorySegment levelsMemory(Arena arena, long bytes) {
        return FreshMemory.allocate(arena, bytes + 256, 256).asSlice(64, bytes);
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
        return Integer.rotateRight(word, position(within / L)) & 0xF;
    }

    /** What the kernels multiply: u·2^-30, the nibble u = level + 8 in units of 2^-30 (exact). */
    @Override
    public float value(int row, int col) {
        return nibble(row, col) * UNIT;
    }

    @Override
    public float levelsPerValue() {
        return 1 / UNIT;
    }

    /** Level 0's value: 8·2^-30. */
    @Override
    public float valueOffset() {
        return 8 * UNIT;
    }

    /** Bits a column's lane is rotated left by for panel n: panels n and n + 4 share one rotation. */
    private static int rotation(int panel) {
        return 8 * (panel & 3);
    }

    /** Where panel n's nibble sits in a lane: the rotation takes it to the top window (n < 4) or the next. */
    static int position(int panel) {
        return (panel < 4 ? 19 : 15) - rotation(panel) & 31;
    }

    @Override
    public MemorySegment values() {
        return levels;
    }

    @Override
    public int columnBytes() {
        return COLUMN_BYTES;
    }

    /** The values (u·2^-30) of the first {@code width} columns of (group, block); column k's at k·8·L. */
    @Override
    public void decodeBlock(int group, int block, int width, float[] decoded) {
        long at = columnAt(group, block * BLOCK);
        FloatVector top = FloatVector.broadcast(F, UNIT / (1 << 19)), next = FloatVector.broadcast(F, UNIT / (1 << 15));
        for (int k = 0, o = 0; k < width; k++, at += COLUMN_BYTES, o += GROUP_ROWS) {
            IntVector q = IntVector.fromMemorySegment(I, levels, at, ByteOrder.LITTLE_ENDIAN);
            for (int n = 0; n < 4; n++) {
                IntVector r = n == 0 ? q : q.lanewise(VectorOperators.ROL, 8 * n);
                ((FloatVector) r.and(TOP_WINDOW).convertShape(I2F, F, 0)).mul(top).intoArray(decoded, o + n * L);
                ((FloatVector) r.and(NEXT_WINDOW).convertShape(I2F, F, 0)).mul(next)
                        .intoArray(decoded, o + (n + 4) * L);
            }
        }
    }

    @Override
    public boolean preparesInputs() {
        return true;
    }

    /**
     * {@link RowPanels#blockStreamedTwo}: each column's nibbles masked once for both tokens' multiply-adds, each
     * token's inputs prepared as for one ({@link #streamedInputs}).
     */
    @Override
    public void blockStreamedTwo(int group, int block, float[] x, int xa, int xb, float startA, float startB,
                                 float[] totals, int totalsAt, float[] blockScales) {
        long at = columnAt(group, block * BLOCK), end = at + BLOCK * COLUMN_BYTES;
        int next = blocks() * BLOCK;
        FloatVector a0 = FloatVector.broadcast(F, startA), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        FloatVector b0 = FloatVector.broadcast(F, startB), b1 = b0, b2 = b0, b3 = b0, b4 = b0, b5 = b0, b6 = b0, b7 = b0;
        FloatVector ta, na, tb, nb, v;
        IntVector q, r, w;
        for (; at < end; at += COLUMN_BYTES, xa++, xb++) {
            q = IntVector.fromMemorySegment(I, levels, at, ByteOrder.LITTLE_ENDIAN);
            ta = FloatVector.broadcast(F, x[xa]);
            na = FloatVector.broadcast(F, x[xa + next]);
            tb = FloatVector.broadcast(F, x[xb]);
            nb = FloatVector.broadcast(F, x[xb + next]);
            r = q;
            w = r.and(TOP_WINDOW);
            v = SUBNORMAL ? w.reinterpretAsFloats() : (FloatVector) w.convertShape(I2F, F, 0);
            a0 = v.fma(ta, a0);
            b0 = v.fma(tb, b0);
            w = r.and(NEXT_WINDOW);
            v = SUBNORMAL ? w.reinterpretAsFloats() : (FloatVector) w.convertShape(I2F, F, 0);
            a4 = v.fma(na, a4);
            b4 = v.fma(nb, b4);
            r = q.lanewise(VectorOperators.ROL, 8);
            w = r.and(TOP_WINDOW);
            v = SUBNORMAL ? w.reinterpretAsFloats() : (FloatVector) w.convertShape(I2F, F, 0);
            a1 = v.fma(ta, a1);
            b1 = v.fma(tb, b1);
            w = r.and(NEXT_WINDOW);
            v = SUBNORMAL ? w.reinterpretAsFloats() : (FloatVector) w.convertShape(I2F, F, 0);
            a5 = v.fma(na, a5);
            b5 = v.fma(nb, b5);
            r = q.lanewise(VectorOperators.ROL, 16);
            w = r.and(TOP_WINDOW);
            v = SUBNORMAL ? w.reinterpretAsFloats() : (FloatVector) w.convertShape(I2F, F, 0);
            a2 = v.fma(ta, a2);
            b2 = v.fma(tb, b2);
            w = r.and(NEXT_WINDOW);
            v = SUBNORMAL ? w.reinterpretAsFloats() : (FloatVector) w.convertShape(I2F, F, 0);
            a6 = v.fma(na, a6);
            b6 = v.fma(nb, b6);
            r = q.lanewise(VectorOperators.ROL, 24);
            w = r.and(TOP_WINDOW);
            v = SUBNORMAL ? w.reinterpretAsFloats() : (FloatVector) w.convertShape(I2F, F, 0);
            a3 = v.fma(ta, a3);
            b3 = v.fma(tb, b3);
            w = r.and(NEXT_WINDOW);
            v = SUBNORMAL ? w.reinterpretAsFloats() : (FloatVector) w.convertShape(I2F, F, 0);
            a7 = v.fma(na, a7);
            b7 = v.fma(nb, b7);
        }
        a0.fma(FloatVector.fromArray(F, blockScales, 0), FloatVector.fromArray(F, totals, totalsAt))
                .intoArray(totals, totalsAt);
        a1.fma(FloatVector.fromArray(F, blockScales, L), FloatVector.fromArray(F, totals, totalsAt + L))
                .intoArray(totals, totalsAt + L);
        a2.fma(FloatVector.fromArray(F, blockScales, 2 * L), FloatVector.fromArray(F, totals, totalsAt + 2 * L))
                .intoArray(totals, totalsAt + 2 * L);
        a3.fma(FloatVector.fromArray(F, blockScales, 3 * L), FloatVector.fromArray(F, totals, totalsAt + 3 * L))
                .intoArray(totals, totalsAt + 3 * L);
        a4.fma(FloatVector.fromArray(F, blockScales, 4 * L), FloatVector.fromArray(F, totals, totalsAt + 4 * L))
                .intoArray(totals, totalsAt + 4 * L);
        a5.fma(FloatVector.fromArray(F, blockScales, 5 * L), FloatVector.fromArray(F, totals, totalsAt + 5 * L))
                .intoArray(totals, totalsAt + 5 * L);
        a6.fma(FloatVector.fromArray(F, blockScales, 6 * L), FloatVector.fromArray(F, totals, totalsAt + 6 * L))
                .intoArray(totals, totalsAt + 6 * L);
        a7.fma(FloatVector.fromArray(F, blockScales, 7 * L), FloatVector.fromArray(F, totals, totalsAt + 7 * L))
                .intoArray(totals, totalsAt + 7 * L);
        b0.fma(FloatVector.fromArray(F, blockScales, 0), FloatVector.fromArray(F, totals, totalsAt + GROUP_ROWS))
                .intoArray(totals, totalsAt + GROUP_ROWS);
        b1.fma(FloatVector.fromArray(F, blockScales, L), FloatVector.fromArray(F, totals, totalsAt + GROUP_ROWS + L))
                .intoArray(totals, totalsAt + GROUP_ROWS + L);
        b2.fma(FloatVector.fromArray(F, blockScales, 2 * L), FloatVector.fromArray(F, totals, totalsAt + GROUP_ROWS + 2 * L))
                .intoArray(totals, totalsAt + GROUP_ROWS + 2 * L);
        b3.fma(FloatVector.fromArray(F, blockScales, 3 * L), FloatVector.fromArray(F, totals, totalsAt + GROUP_ROWS + 3 * L))
                .intoArray(totals, totalsAt + GROUP_ROWS + 3 * L);
        b4.fma(FloatVector.fromArray(F, blockScales, 4 * L), FloatVector.fromArray(F, totals, totalsAt + GROUP_ROWS + 4 * L))
                .intoArray(totals, totalsAt + GROUP_ROWS + 4 * L);
        b5.fma(FloatVector.fromArray(F, blockScales, 5 * L), FloatVector.fromArray(F, totals, totalsAt + GROUP_ROWS + 5 * L))
                .intoArray(totals, totalsAt + GROUP_ROWS + 5 * L);
        b6.fma(FloatVector.fromArray(F, blockScales, 6 * L), FloatVector.fromArray(F, totals, totalsAt + GROUP_ROWS + 6 * L))
                .intoArray(totals, totalsAt + GROUP_ROWS + 6 * L);
        b7.fma(FloatVector.fromArray(F, blockScales, 7 * L), FloatVector.fromArray(F, totals, totalsAt + GROUP_ROWS + 7 * L))
                .intoArray(totals, totalsAt + GROUP_ROWS + 7 * L);
    }

    /**
     * The inputs {@link #blockStreamed} reads for each token x[xOffset + t·cols, ... + cols): x times the kernel's
     * two input scales ({@link Q4Kernel}), the first window's at [0, width) and the second's at [width, 2·width)
     * from token t's start t·2·width (width: whole blocks, zero-padded); null where the copies cannot hold some x
     * exactly ({@link Q4Kernel#scaleInputs}: then the rows take the many-token path, which gives the same floats).
     */
    @Override
    public float[] streamedInputs(float[] x, int xOffset, int tokens) {
        int width = blocks() * BLOCK;
        float[] in = RowBuffers.atLeast(RowBuffers.STREAMED_INPUT, tokens * 2 * width);
        for (int t = 0; t < tokens; t++) {
            if (!Q4Kernel.scaleInputs(x, xOffset + t * cols, cols, width, in, t * 2 * width)) {
                return null;
            }
        }
        return in;
    }

    @Override
    public int streamedInputsStride() {
        return 2 * blocks() * BLOCK;
    }

    /**
     * {@link RowPanels#blockStreamedPair}: {@link #blockStreamed} over two groups' columns side by side, one column
     * of each a pass, so that a thread reads two streams of levels.
     */
    @Override
    public void blockStreamedPair(int groupA, int groupB, int block, float[] x, int xo, float start, float[] totals,
                                  float[] scalesA, float[] scalesB) {
        long atA = columnAt(groupA, block * BLOCK), atB = columnAt(groupB, block * BLOCK);
        long end = atA + BLOCK * COLUMN_BYTES;
        int next = blocks() * BLOCK;
        FloatVector a0 = FloatVector.broadcast(F, start), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        FloatVector b0 = a0, b1 = a0, b2 = a0, b3 = a0, b4 = a0, b5 = a0, b6 = a0, b7 = a0;
        FloatVector xt, xn;
        IntVector qa, qb, r, w;
        for (; atA < end; atA += COLUMN_BYTES, atB += COLUMN_BYTES, xo++) {
            qa = IntVector.fromMemorySegment(I, levels, atA, ByteOrder.LITTLE_ENDIAN);
            qb = IntVector.fromMemorySegment(I, levels, atB, ByteOrder.LITTLE_ENDIAN);
            xt = FloatVector.broadcast(F, x[xo]);
            xn = FloatVector.broadcast(F, x[xo + next]);
            r = qa;
            w = r.and(TOP_WINDOW);
            a0 = (SUBNORMAL ? w.reinterpretAsFloats() : (FloatVector) w.convertShape(I2F, F, 0)).fma(xt, a0);
            w = r.and(NEXT_WINDOW);
            a4 = (SUBNORMAL ? w.reinterpretAsFloats() : (FloatVector) w.convertShape(I2F, F, 0)).fma(xn, a4);
            r = qa.lanewise(VectorOperators.ROL, 8);
            w = r.and(TOP_WINDOW);
            a1 = (SUBNORMAL ? w.reinterpretAsFloats() : (FloatVector) w.convertShape(I2F, F, 0)).fma(xt, a1);
            w = r.and(NEXT_WINDOW);
            a5 = (SUBNORMAL ? w.reinterpretAsFloats() : (FloatVector) w.convertShape(I2F, F, 0)).fma(xn, a5);
            r = qa.lanewise(VectorOperators.ROL, 16);
            w = r.and(TOP_WINDOW);
            a2 = (SUBNORMAL ? w.reinterpretAsFloats() : (FloatVector) w.convertShape(I2F, F, 0)).fma(xt, a2);
            w = r.and(NEXT_WINDOW);
            a6 = (SUBNORMAL ? w.reinterpretAsFloats() : (FloatVector) w.convertShape(I2F, F, 0)).fma(xn, a6);
            r = qa.lanewise(VectorOperators.ROL, 24);
            w = r.and(TOP_WINDOW);
            a3 = (SUBNORMAL ? w.reinterpretAsFloats() : (FloatVector) w.convertShape(I2F, F, 0)).fma(xt, a3);
            w = r.and(NEXT_WINDOW);
            a7 = (SUBNORMAL ? w.reinterpretAsFloats() : (FloatVector) w.convertShape(I2F, F, 0)).fma(xn, a7);
            r = qb;
            w = r.and(TOP_WINDOW);
            b0 = (SUBNORMAL ? w.reinterpretAsFloats() : (FloatVector) w.convertShape(I2F, F, 0)).fma(xt, b0);
            w = r.and(NEXT_WINDOW);
            b4 = (SUBNORMAL ? w.reinterpretAsFloats() : (FloatVector) w.convertShape(I2F, F, 0)).fma(xn, b4);
            r = qb.lanewise(VectorOperators.ROL, 8);
            w = r.and(TOP_WINDOW);
            b1 = (SUBNORMAL ? w.reinterpretAsFloats() : (FloatVector) w.convertShape(I2F, F, 0)).fma(xt, b1);
            w = r.and(NEXT_WINDOW);
            b5 = (SUBNORMAL ? w.reinterpretAsFloats() : (FloatVector) w.convertShape(I2F, F, 0)).fma(xn, b5);
            r = qb.lanewise(VectorOperators.ROL, 16);
            w = r.and(TOP_WINDOW);
            b2 = (SUBNORMAL ? w.reinterpretAsFloats() : (FloatVector) w.convertShape(I2F, F, 0)).fma(xt, b2);
            w = r.and(NEXT_WINDOW);
            b6 = (SUBNORMAL ? w.reinterpretAsFloats() : (FloatVector) w.convertShape(I2F, F, 0)).fma(xn, b6);
            r = qb.lanewise(VectorOperators.ROL, 24);
            w = r.and(TOP_WINDOW);
            b3 = (SUBNORMAL ? w.reinterpretAsFloats() : (FloatVector) w.convertShape(I2F, F, 0)).fma(xt, b3);
            w = r.and(NEXT_WINDOW);
            b7 = (SUBNORMAL ? w.reinterpretAsFloats() : (FloatVector) w.convertShape(I2F, F, 0)).fma(xn, b7);
        }
        a0.fma(FloatVector.fromArray(F, scalesA, 0), FloatVector.fromArray(F, totals, 0)).intoArray(totals, 0);
        a1.fma(FloatVector.fromArray(F, scalesA, L), FloatVector.fromArray(F, totals, L)).intoArray(totals, L);
        a2.fma(FloatVector.fromArray(F, scalesA, 2 * L), FloatVector.fromArray(F, totals, 2 * L)).intoArray(totals, 2 * L);
        a3.fma(FloatVector.fromArray(F, scalesA, 3 * L), FloatVector.fromArray(F, totals, 3 * L)).intoArray(totals, 3 * L);
        a4.fma(FloatVector.fromArray(F, scalesA, 4 * L), FloatVector.fromArray(F, totals, 4 * L)).intoArray(totals, 4 * L);
        a5.fma(FloatVector.fromArray(F, scalesA, 5 * L), FloatVector.fromArray(F, totals, 5 * L)).intoArray(totals, 5 * L);
        a6.fma(FloatVector.fromArray(F, scalesA, 6 * L), FloatVector.fromArray(F, totals, 6 * L)).intoArray(totals, 6 * L);
        a7.fma(FloatVector.fromArray(F, scalesA, 7 * L), FloatVector.fromArray(F, totals, 7 * L)).intoArray(totals, 7 * L);
        b0.fma(FloatVector.fromArray(F, scalesB, 0), FloatVector.fromArray(F, totals, GROUP_ROWS)).intoArray(totals, GROUP_ROWS);
        b1.fma(FloatVector.fromArray(F, scalesB, L), FloatVector.fromArray(F, totals, GROUP_ROWS + L)).intoArray(totals, GROUP_ROWS + L);
        b2.fma(FloatVector.fromArray(F, scalesB, 2 * L), FloatVector.fromArray(F, totals, GROUP_ROWS + 2 * L)).intoArray(totals, GROUP_ROWS + 2 * L);
        b3.fma(FloatVector.fromArray(F, scalesB, 3 * L), FloatVector.fromArray(F, totals, GROUP_ROWS + 3 * L)).intoArray(totals, GROUP_ROWS + 3 * L);
        b4.fma(FloatVector.fromArray(F, scalesB, 4 * L), FloatVector.fromArray(F, totals, GROUP_ROWS + 4 * L)).intoArray(totals, GROUP_ROWS + 4 * L);
        b5.fma(FloatVector.fromArray(F, scalesB, 5 * L), FloatVector.fromArray(F, totals, GROUP_ROWS + 5 * L)).intoArray(totals, GROUP_ROWS + 5 * L);
        b6.fma(FloatVector.fromArray(F, scalesB, 6 * L), FloatVector.fromArray(F, totals, GROUP_ROWS + 6 * L)).intoArray(totals, GROUP_ROWS + 6 * L);
        b7.fma(FloatVector.fromArray(F, scalesB, 7 * L), FloatVector.fromArray(F, totals, GROUP_ROWS + 7 * L)).intoArray(totals, GROUP_ROWS + 7 * L);
    }

    /**
     * {@link RowPanels#blockStreamed}: each column is one load of 8·L nibbles and two broadcast input values (x's
     * two scaled copies, from {@link #streamedInputs}) for eight panels of a mask and a fused multiply-add, with three
     * rotations ({@link #position}); the value is the masked lane as it is or converted ({@link Q4Kernel}), a choice
     * written out at each use: through a helper method taking an IntVector, C2 no longer compiled the vector
     * operations to instructions and the kernel ran 15x slower. Two columns a pass, written out: left to itself the
     * JIT unrolled the one-column loop eight or more times and the loop then read memory at half the speed (from L2
     * it made no difference; measured at one thread, 768 × 2048 from memory: 10 GB/s unrolled by the JIT, 22 two or
     * four columns a pass). Small on purpose: a group-long
     * method with four columns a pass sometimes failed C1's profiling compile (out of virtual registers), and stuck
     * in its first tier it ran 100x slower.
     */
    @Override
    public void blockStreamed(int group, int block, float[] x, int xo, float start, float[] totals,
                              int totalsAt, float[] blockScales) {
        long at = columnAt(group, block * BLOCK), end = at + BLOCK * COLUMN_BYTES;
        int next = blocks() * BLOCK;
        FloatVector s0 = FloatVector.broadcast(F, start), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
        FloatVector xt, xn;
        IntVector q, r, w;
        for (; at < end; at += 2 * COLUMN_BYTES, xo += 2) {
            q = IntVector.fromMemorySegment(I, levels, at, ByteOrder.LITTLE_ENDIAN);
            xt = FloatVector.broadcast(F, x[xo]);
            xn = FloatVector.broadcast(F, x[xo + next]);
            w = q.and(TOP_WINDOW);
            s0 = (SUBNORMAL ? w.reinterpretAsFloats() : (FloatVector) w.convertShape(I2F, F, 0)).fma(xt, s0);
            w = q.and(NEXT_WINDOW);
            s4 = (SUBNORMAL ? w.reinterpretAsFloats() : (FloatVector) w.convertShape(I2F, F, 0)).fma(xn, s4);
            r = q.lanewise(VectorOperators.ROL, 8);
            w = r.and(TOP_WINDOW);
            s1 = (SUBNORMAL ? w.reinterpretAsFloats() : (FloatVector) w.convertShape(I2F, F, 0)).fma(xt, s1);
            w = r.and(NEXT_WINDOW);
            s5 = (SUBNORMAL ? w.reinterpretAsFloats() : (FloatVector) w.convertShape(I2F, F, 0)).fma(xn, s5);
            r = q.lanewise(VectorOperators.ROL, 16);
            w = r.and(TOP_WINDOW);
            s2 = (SUBNORMAL ? w.reinterpretAsFloats() : (FloatVector) w.convertShape(I2F, F, 0)).fma(xt, s2);
            w = r.and(NEXT_WINDOW);
            s6 = (SUBNORMAL ? w.reinterpretAsFloats() : (FloatVector) w.convertShape(I2F, F, 0)).fma(xn, s6);
            r = q.lanewise(VectorOperators.ROL, 24);
            w = r.and(TOP_WINDOW);
            s3 = (SUBNORMAL ? w.reinterpretAsFloats() : (FloatVector) w.convertShape(I2F, F, 0)).fma(xt, s3);
            w = r.and(NEXT_WINDOW);
            s7 = (SUBNORMAL ? w.reinterpretAsFloats() : (FloatVector) w.convertShape(I2F, F, 0)).fma(xn, s7);
            q = IntVector.fromMemorySegment(I, levels, at + COLUMN_BYTES, ByteOrder.LITTLE_ENDIAN);
            xt = FloatVector.broadcast(F, x[xo + 1]);
            xn = FloatVector.broadcast(F, x[xo + 1 + next]);
            w = q.and(TOP_WINDOW);
            s0 = (SUBNORMAL ? w.reinterpretAsFloats() : (FloatVector) w.convertShape(I2F, F, 0)).fma(xt, s0);
            w = q.and(NEXT_WINDOW);
            s4 = (SUBNORMAL ? w.reinterpretAsFloats() : (FloatVector) w.convertShape(I2F, F, 0)).fma(xn, s4);
            r = q.lanewise(VectorOperators.ROL, 8);
            w = r.and(TOP_WINDOW);
            s1 = (SUBNORMAL ? w.reinterpretAsFloats() : (FloatVector) w.convertShape(I2F, F, 0)).fma(xt, s1);
            w = r.and(NEXT_WINDOW);
            s5 = (SUBNORMAL ? w.reinterpretAsFloats() : (FloatVector) w.convertShape(I2F, F, 0)).fma(xn, s5);
            r = q.lanewise(VectorOperators.ROL, 16);
            w = r.and(TOP_WINDOW);
            s2 = (SUBNORMAL ? w.reinterpretAsFloats() : (FloatVector) w.convertShape(I2F, F, 0)).fma(xt, s2);
            w = r.and(NEXT_WINDOW);
            s6 = (SUBNORMAL ? w.reinterpretAsFloats() : (FloatVector) w.convertShape(I2F, F, 0)).fma(xn, s6);
            r = q.lanewise(VectorOperators.ROL, 24);
            w = r.and(TOP_WINDOW);
            s3 = (SUBNORMAL ? w.reinterpretAsFloats() : (FloatVector) w.convertShape(I2F, F, 0)).fma(xt, s3);
            w = r.and(NEXT_WINDOW);
            s7 = (SUBNORMAL ? w.reinterpretAsFloats() : (FloatVector) w.convertShape(I2F, F, 0)).fma(xn, s7);
        }
        s0.fma(FloatVector.fromArray(F, blockScales, 0), FloatVector.fromArray(F, totals, totalsAt))
                .intoArray(totals, totalsAt);
        s1.fma(FloatVector.fromArray(F, blockScales, L), FloatVector.fromArray(F, totals, totalsAt + L))
                .intoArray(totals, totalsAt + L);
        s2.fma(FloatVector.fromArray(F, blockScales, 2 * L), FloatVector.fromArray(F, totals, totalsAt + 2 * L))
                .intoArray(totals, totalsAt + 2 * L);
        s3.fma(FloatVector.fromArray(F, blockScales, 3 * L), FloatVector.fromArray(F, totals, totalsAt + 3 * L))
                .intoArray(totals, totalsAt + 3 * L);
        s4.fma(FloatVector.fromArray(F, blockScales, 4 * L), FloatVector.fromArray(F, totals, totalsAt + 4 * L))
                .intoArray(totals, totalsAt + 4 * L);
        s5.fma(FloatVector.fromArray(F, blockScales, 5 * L), FloatVector.fromArray(F, totals, totalsAt + 5 * L))
                .intoArray(totals, totalsAt + 5 * L);
        s6.fma(FloatVector.fromArray(F, blockScales, 6 * L), FloatVector.fromArray(F, totals, totalsAt + 6 * L))
                .intoArray(totals, totalsAt + 6 * L);
        s7.fma(FloatVector.fromArray(F, blockScales, 7 * L), FloatVector.fromArray(F, totals, totalsAt + 7 * L))
                .intoArray(totals, totalsAt + 7 * L);
    }
}

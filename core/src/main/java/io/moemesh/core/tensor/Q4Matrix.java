package io.moemesh.core.tensor;

import io.moemesh.core.weights.Numerics;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;

import static io.moemesh.core.tensor.QuantBlocks.BLOCK;
import static io.moemesh.core.tensor.QuantBlocks.F;

/**
 * Our 4-bit weights ({@code --weights q4}): w = level · scale with level ∈ [-8, 7] and one signed fp16 scale per
 * row and block of 32 columns, as llama.cpp's Q4_0 — but with rows interleaved for the kernel.
 *
 * <p><b>Layout: panels.</b> With L float lanes (16 with AVX-512, 8 with AVX2), rows come in groups of 8·L, each
 * group eight panels of L rows. For each group, block and column, in that order, one vector of L ints holds the
 * column's levels for the whole group: int lane l has panel n's row l in bits 4n..4n+3, as 4-bit two's
 * complement. The kernel then multiplies a column by one broadcast input value for 8·L rows: panel n's levels are a
 * shift left (nibble n to the top), an arithmetic shift right by 28 and a conversion, and each lane accumulates its
 * own row, so no lane sums are left to add at the end of a row. Row by row (the layout before this one), every 16
 * weights took a 64-byte load of the input, and a core here loads 64 bytes a cycle: that load, not the decoding,
 * bounded the kernel. The fp16 scales of a group and block are 8·L in a row, in a second segment, converted eight
 * vectors at a time. Rows are padded to whole groups and columns to whole blocks with level 0. 4.5 bits per weight,
 * as Q4_0.
 *
 * <p><b>Order of the sums.</b> For each row: per block, s = Σ level·x by fused multiply-adds in ascending columns from
 * zero; then t = fma(s, scale, t) over the blocks in order. Every kernel here (one token, many tokens, one row)
 * does exactly these operations for each row and token, so a token's results never depend on the batch it is in.
 *
 * <p><b>Scales.</b> The grid [-8, 7] · scale is lopsided, so the scale is signed to put the extra level on the side
 * of the block's largest-magnitude weight m. Q4_0 takes scale = -m / 8. We try -m / k for k from 7 (nothing
 * clamps) to 9 (m itself clips to -8 · scale, one step off, for a finer step everywhere else) in quarter steps and
 * keep the least squared error: never worse than Q4_0 on a block, and about 10% less squared error on Gaussian
 * weights. Weights inside the grid are within |scale| / 2; clipped ones are off by their distance to the grid's
 * end, under 2 · |scale|.
 */
public record Q4Matrix(MemorySegment levels, MemorySegment scales, int rows, int cols) implements BlockLevels {
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    private static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(F.vectorBitSize() / 2));
    private static final int LANES = F.length();
    /** Rows of a group: eight panels, one per nibble of an int lane. */
    public static final int GROUP_ROWS = 8 * LANES;
    /** Bytes of one column of a group. */
    private static final int COLUMN_BYTES = 4 * LANES;
    private static final ValueLayout.OfInt LANE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** Grid steps the largest weight may span; Q4_0's 8 first, so it wins ties. */
    private static final float[] STEPS_FOR_MAX = {8f, 9f, 8.75f, 8.5f, 8.25f, 7.75f, 7.5f, 7.25f, 7f};
    /** fp16 → float by bits: the magnitude's bits shifted into place read as a float are the value times 2^-112. */
    private static final float FP16_EXPONENT_SHIFT = 0x1p112f;

    static {
        if (S.length() != LANES) {
            throw new IllegalStateException("no q4 panel layout for float species " + F);
        }
    }

    /** The same weights over copies of the memory. */
    public Q4Matrix copy(Arena arena) {
        return new Q4Matrix(arena.allocate(levels.byteSize(), 64).copyFrom(levels),
                arena.allocate(scales.byteSize(), 64).copyFrom(scales), rows, cols);
    }

    public static Q4Matrix quantize(Matrix source, Arena arena) {
        return pack(source.rows(), source.cols(), arena, () -> {
            float[] w = new float[source.cols()];
            return (r, levels, scales) -> {
                source.row(r, w, 0);
                for (int b = 0; b < scales.length; b++) {
                    int from = b * BLOCK, to = Math.min(w.length, from + BLOCK);
                    QuantBlocks.requireFinite(w, from, to, r);
                    scales[b] = bestScale(w, from, to);
                    float scale = Float.float16ToFloat(scales[b]);
                    for (int c = from; c < to; c++) {
                        levels[c] = (byte) level(w[c], scale);
                    }
                }
            };
        });
    }

    /**
     * The same levels and scales in this layout: exact, for 4-bit blocks read from a GGUF file (Q4_0). An fp16
     * scale survives the trip through float unchanged.
     */
    public static Q4Matrix repack(GgmlQ4Matrix source, Arena arena) {
        return pack(source.rows(), source.cols(), arena, () -> (r, levels, scales) -> {
            for (int c = 0; c < source.cols(); c++) {
                levels[c] = (byte) source.level(r, c);
            }
            for (int b = 0; b < scales.length; b++) {
                scales[b] = Float.floatToFloat16(source.scale(r, b));
            }
        });
    }

    /** Fills one row's levels (one per column) and fp16 scales (one per block). */
    private interface RowLevels {
        void fill(int row, byte[] levels, short[] scales);
    }

    private static Q4Matrix pack(int rows, int cols, Arena arena, java.util.function.Supplier<RowLevels> perThread) {
        int blocks = QuantBlocks.blocks(cols), groups = groups(rows), width = blocks * BLOCK;
        MemorySegment packed = arena.allocate((long) groups * width * COLUMN_BYTES, 64);   // zeroed: padding is level 0
        MemorySegment scaleSegment = arena.allocate((long) groups * blocks * GROUP_ROWS * 2, 64);
        QuantBlocks.forRows(groups, packed, (firstGroup, endGroup) -> {
            RowLevels source = perThread.get();
            byte[][] levels = new byte[GROUP_ROWS][width];
            short[] scales = new short[blocks];
            for (int g = firstGroup; g < endGroup; g++) {
                for (int within = 0; within < GROUP_ROWS; within++) {
                    int r = g * GROUP_ROWS + within;
                    Arrays.fill(levels[within], (byte) 0);
                    if (r >= rows) {
                        continue;
                    }
                    source.fill(r, levels[within], scales);
                    for (int b = 0; b < blocks; b++) {
                        scaleSegment.setAtIndex(Numerics.I16, ((long) g * blocks + b) * GROUP_ROWS + within, scales[b]);
                    }
                }
                long at = (long) g * width * COLUMN_BYTES;
                for (int c = 0; c < width; c++) {
                    for (int lane = 0; lane < LANES; lane++, at += 4) {
                        int word = 0;
                        for (int n = 0; n < 8; n++) {
                            word |= (levels[n * LANES + lane][c] & 0xF) << 4 * n;
                        }
                        packed.set(LANE, at, word);
                    }
                }
            }
        });
        return new Q4Matrix(packed, scaleSegment, rows, cols);
    }

    private static int groups(int rows) {
        return (rows + GROUP_ROWS - 1) / GROUP_ROWS;
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

    /** Rows the kernels compute together: row ranges that start and end on a multiple of this waste nothing. */
    @Override
    public int rowGrain() {
        return GROUP_ROWS;
    }

    private int blocks() {
        return QuantBlocks.blocks(cols);
    }

    /** Byte offset of column {@code col}'s levels in group {@code group} (blocks are whole columns apart). */
    private long columnAt(int group, int col) {
        return ((long) group * blocks() * BLOCK + col) * COLUMN_BYTES;
    }

    /** Index of the first fp16 scale of (group, block): the group's 8·L rows follow. */
    private long scalesAt(int group, int block) {
        return ((long) group * blocks() + block) * GROUP_ROWS;
    }

    @Override
    public float scale(int row, int block) {
        return Float.float16ToFloat(scales.getAtIndex(Numerics.I16, scalesAt(row / GROUP_ROWS, block) + row % GROUP_ROWS));
    }

    @Override
    public int level(int row, int col) {
        int within = row % GROUP_ROWS;
        int word = levels.get(LANE, columnAt(row / GROUP_ROWS, col) + 4L * (within % LANES));
        return word << 28 - 4 * (within / LANES) >> 28;
    }

    /**
     * One row alone, with the kernels' operations in their order (see the class comment) one lane's worth at a
     * time: exactly what they give for this row. Slow (one fused multiply-add chain); the kernels take row ranges.
     */
    @Override
    public float dot(int row, float[] x, int xOffset) {
        float total = 0;
        for (int b = 0, blocks = blocks(); b < blocks; b++) {
            float sum = 0;
            for (int c = b * BLOCK, end = Math.min(cols, c + BLOCK); c < end; c++) {
                sum = Math.fma(level(row, c), x[xOffset + c], sum);
            }
            total = Math.fma(sum, scale(row, b), total);
        }
        return total;
    }

    /** Rows [from, to) for one input, a group at a time. */
    @Override
    public void dotRows(int from, int to, float[] x, int xOffset, float[] out, int outOffset) {
        float[] blockScales = RowBuffers.atLeast(RowBuffers.GROUP_SCALES, GROUP_ROWS);
        for (int g = from / GROUP_ROWS; g * GROUP_ROWS < to; g++) {
            int first = g * GROUP_ROWS, begin = Math.max(from, first);
            float[] sums = groupOneToken(g, x, xOffset, blockScales);
            System.arraycopy(sums, begin - first, out, outOffset + begin, Math.min(to, first + GROUP_ROWS) - begin);
        }
    }

    /**
     * Rows [from, to) for several inputs. A group's block is decoded to floats once (32 columns × 8·L rows, in L1),
     * then two tokens at a time run over it: sixteen accumulators, each level vector loaded once for both tokens and
     * each input value broadcast once for eight panels. The running totals of a group stay in a buffer between blocks.
     */
    @Override
    public void dotRowRange(int from, int to, float[] x, int xOffset, int tokens, float[] out, int outOffset,
                            int outStride) {
        if (tokens == 1) {
            dotRows(from, to, x, xOffset, out, outOffset);
            return;
        }
        float[] decoded = RowBuffers.atLeast(RowBuffers.GROUP_LEVELS, BLOCK * GROUP_ROWS);
        float[] blockScales = RowBuffers.atLeast(RowBuffers.GROUP_SCALES, GROUP_ROWS);
        float[] totals = RowBuffers.atLeast(RowBuffers.GROUP_TOTALS, tokens * GROUP_ROWS);
        for (int g = from / GROUP_ROWS; g * GROUP_ROWS < to; g++) {
            Arrays.fill(totals, 0, tokens * GROUP_ROWS, 0f);
            for (int b = 0, blocks = blocks(); b < blocks; b++) {
                int width = Math.min(BLOCK, cols - b * BLOCK);
                decodeBlock(g, b, width, decoded, blockScales);
                int t = 0;
                for (; t + 2 <= tokens; t += 2) {
                    blockTwoTokens(decoded, blockScales, width, x, xOffset + t * cols + b * BLOCK,
                            xOffset + (t + 1) * cols + b * BLOCK, totals, t * GROUP_ROWS);
                }
                if (t < tokens) {
                    blockOneToken(decoded, blockScales, width, x, xOffset + t * cols + b * BLOCK, totals, t * GROUP_ROWS);
                }
            }
            int first = g * GROUP_ROWS;
            for (int t = 0; t < tokens; t++) {
                for (int r = Math.max(from, first), end = Math.min(to, first + GROUP_ROWS); r < end; r++) {
                    out[outOffset + r + t * outStride] = totals[t * GROUP_ROWS + r - first];
                }
            }
        }
    }

    /** Scales of (group, block) as floats, panel n's at {@code dst[n·L]}: the fp16 bits moved into a float's place. */
    private float[] blockScales(int group, int block, float[] dst) {
        long at = 2 * scalesAt(group, block);
        for (int n = 0; n < 8; n++) {
            IntVector h = (IntVector) ShortVector.fromMemorySegment(S, scales, at + 2L * n * LANES, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, I, 0);
            h.and(0x7FFF).lanewise(VectorOperators.LSHL, 13).or(h.and(0x8000).lanewise(VectorOperators.LSHL, 16))
                    .reinterpretAsFloats().mul(FP16_EXPONENT_SHIFT).intoArray(dst, n * LANES);
        }
        return dst;
    }

    /** The levels of the first {@code width} columns of (group, block) as floats, column k's group at k·8·L. */
    private void decodeBlock(int group, int block, int width, float[] levelsOut, float[] scalesOut) {
        long at = columnAt(group, block * BLOCK);
        for (int k = 0; k < width; k++, at += COLUMN_BYTES) {
            IntVector q = IntVector.fromMemorySegment(I, levels, at, ByteOrder.LITTLE_ENDIAN);
            int o = k * GROUP_ROWS;
            for (int n = 0; n < 8; n++) {
                ((FloatVector) q.lanewise(VectorOperators.LSHL, 28 - 4 * n).lanewise(VectorOperators.ASHR, 28)
                        .castShape(F, 0)).intoArray(levelsOut, o + n * LANES);
            }
        }
        blockScales(group, block, scalesOut);
    }

    /**
     * One token over one group, all blocks: the decode kernel, a block at a time ({@link #blockStreamed}). Returns
     * this thread's buffer holding the group's 8·L sums. A partial last block reads its inputs
     * from a copy padded with zeros, which add nothing (fma(0, 0, s) = s), so every block is 32 columns.
     */
    private float[] groupOneToken(int group, float[] x, int xOffset, float[] blockScales) {
        float[] totals = RowBuffers.atLeast(RowBuffers.GROUP_TOTALS, GROUP_ROWS);
        Arrays.fill(totals, 0, GROUP_ROWS, 0f);
        int full = cols / BLOCK;
        for (int b = 0; b < full; b++) {
            blockStreamed(columnAt(group, b * BLOCK), x, xOffset + b * BLOCK, columnAt(group, b * BLOCK + BLOCK),
                    totals, 0, blockScales(group, b, blockScales));
        }
        if (full * BLOCK < cols) {
            float[] padded = RowBuffers.atLeast(RowBuffers.PADDED_INPUT, BLOCK);
            Arrays.fill(padded, 0, BLOCK, 0f);
            System.arraycopy(x, xOffset + full * BLOCK, padded, 0, cols - full * BLOCK);
            blockStreamed(columnAt(group, full * BLOCK), padded, 0, columnAt(group, full * BLOCK + BLOCK), totals, 0,
                    blockScales(group, full, blockScales));
        }
        return totals;
    }

    /**
     * The columns [at, end) of a group's levels (one block: 32 columns) times {@code x[xo ...]}, each panel's sum
     * times its scales added to {@code totals[tOffset ...]}. Each column is one load of 8·L levels and one broadcast
     * input value for eight fused multiply-adds, one per panel. Two columns a pass, written out: left to itself
     * the JIT unrolled the one-column loop eight or more times and the loop then read memory at half the speed
     * (from L2 it made no difference; measured at one thread, 768 × 2048 from memory: 10 GB/s unrolled by the JIT,
     * 22 two or four columns a pass). Small on purpose: a group-long method with four columns a pass sometimes
     * failed C1's profiling compile (out of virtual registers), and stuck in its first tier it ran 100x slower.
     */
    private void blockStreamed(long at, float[] x, int xo, long end, float[] totals, int tOffset, float[] blockScales) {
        FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
        IntVector q;
        FloatVector xk;
        for (; at < end; at += 2 * COLUMN_BYTES, xo += 2) {
            q = IntVector.fromMemorySegment(I, levels, at, ByteOrder.LITTLE_ENDIAN);
            xk = FloatVector.broadcast(F, x[xo]);
            s0 = ((FloatVector) q.lanewise(VectorOperators.LSHL, 28).lanewise(VectorOperators.ASHR, 28).castShape(F, 0)).fma(xk, s0);
            s1 = ((FloatVector) q.lanewise(VectorOperators.LSHL, 24).lanewise(VectorOperators.ASHR, 28).castShape(F, 0)).fma(xk, s1);
            s2 = ((FloatVector) q.lanewise(VectorOperators.LSHL, 20).lanewise(VectorOperators.ASHR, 28).castShape(F, 0)).fma(xk, s2);
            s3 = ((FloatVector) q.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 28).castShape(F, 0)).fma(xk, s3);
            s4 = ((FloatVector) q.lanewise(VectorOperators.LSHL, 12).lanewise(VectorOperators.ASHR, 28).castShape(F, 0)).fma(xk, s4);
            s5 = ((FloatVector) q.lanewise(VectorOperators.LSHL, 8).lanewise(VectorOperators.ASHR, 28).castShape(F, 0)).fma(xk, s5);
            s6 = ((FloatVector) q.lanewise(VectorOperators.LSHL, 4).lanewise(VectorOperators.ASHR, 28).castShape(F, 0)).fma(xk, s6);
            s7 = ((FloatVector) q.lanewise(VectorOperators.ASHR, 28).castShape(F, 0)).fma(xk, s7);
            q = IntVector.fromMemorySegment(I, levels, at + COLUMN_BYTES, ByteOrder.LITTLE_ENDIAN);
            xk = FloatVector.broadcast(F, x[xo + 1]);
            s0 = ((FloatVector) q.lanewise(VectorOperators.LSHL, 28).lanewise(VectorOperators.ASHR, 28).castShape(F, 0)).fma(xk, s0);
            s1 = ((FloatVector) q.lanewise(VectorOperators.LSHL, 24).lanewise(VectorOperators.ASHR, 28).castShape(F, 0)).fma(xk, s1);
            s2 = ((FloatVector) q.lanewise(VectorOperators.LSHL, 20).lanewise(VectorOperators.ASHR, 28).castShape(F, 0)).fma(xk, s2);
            s3 = ((FloatVector) q.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 28).castShape(F, 0)).fma(xk, s3);
            s4 = ((FloatVector) q.lanewise(VectorOperators.LSHL, 12).lanewise(VectorOperators.ASHR, 28).castShape(F, 0)).fma(xk, s4);
            s5 = ((FloatVector) q.lanewise(VectorOperators.LSHL, 8).lanewise(VectorOperators.ASHR, 28).castShape(F, 0)).fma(xk, s5);
            s6 = ((FloatVector) q.lanewise(VectorOperators.LSHL, 4).lanewise(VectorOperators.ASHR, 28).castShape(F, 0)).fma(xk, s6);
            s7 = ((FloatVector) q.lanewise(VectorOperators.ASHR, 28).castShape(F, 0)).fma(xk, s7);
        }
        s0.fma(FloatVector.fromArray(F, blockScales, 0), FloatVector.fromArray(F, totals, tOffset + 0))
                .intoArray(totals, tOffset + 0);
        s1.fma(FloatVector.fromArray(F, blockScales, LANES), FloatVector.fromArray(F, totals, tOffset + LANES))
                .intoArray(totals, tOffset + LANES);
        s2.fma(FloatVector.fromArray(F, blockScales, 2 * LANES), FloatVector.fromArray(F, totals, tOffset + 2 * LANES))
                .intoArray(totals, tOffset + 2 * LANES);
        s3.fma(FloatVector.fromArray(F, blockScales, 3 * LANES), FloatVector.fromArray(F, totals, tOffset + 3 * LANES))
                .intoArray(totals, tOffset + 3 * LANES);
        s4.fma(FloatVector.fromArray(F, blockScales, 4 * LANES), FloatVector.fromArray(F, totals, tOffset + 4 * LANES))
                .intoArray(totals, tOffset + 4 * LANES);
        s5.fma(FloatVector.fromArray(F, blockScales, 5 * LANES), FloatVector.fromArray(F, totals, tOffset + 5 * LANES))
                .intoArray(totals, tOffset + 5 * LANES);
        s6.fma(FloatVector.fromArray(F, blockScales, 6 * LANES), FloatVector.fromArray(F, totals, tOffset + 6 * LANES))
                .intoArray(totals, tOffset + 6 * LANES);
        s7.fma(FloatVector.fromArray(F, blockScales, 7 * LANES), FloatVector.fromArray(F, totals, tOffset + 7 * LANES))
                .intoArray(totals, tOffset + 7 * LANES);
    }

    /**
     * Two tokens over one decoded block of a group, added to their running totals ({@code totals[at ...]} and
     * {@code totals[at + 8·L ...]}): the many-token kernel, with the decode kernel's operations for each token.
     */
    private static void blockTwoTokens(float[] decoded, float[] blockScales, int width, float[] x, int xa, int xb,
                                       float[] totals, int at) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        FloatVector b0 = a0, b1 = a0, b2 = a0, b3 = a0, b4 = a0, b5 = a0, b6 = a0, b7 = a0;
        for (int k = 0; k < width; k++) {
            int o = k * GROUP_ROWS;
            FloatVector va = FloatVector.broadcast(F, x[xa + k]), vb = FloatVector.broadcast(F, x[xb + k]);
            FloatVector l;
            l = FloatVector.fromArray(F, decoded, o);
            a0 = l.fma(va, a0);
            b0 = l.fma(vb, b0);
            l = FloatVector.fromArray(F, decoded, o + LANES);
            a1 = l.fma(va, a1);
            b1 = l.fma(vb, b1);
            l = FloatVector.fromArray(F, decoded, o + 2 * LANES);
            a2 = l.fma(va, a2);
            b2 = l.fma(vb, b2);
            l = FloatVector.fromArray(F, decoded, o + 3 * LANES);
            a3 = l.fma(va, a3);
            b3 = l.fma(vb, b3);
            l = FloatVector.fromArray(F, decoded, o + 4 * LANES);
            a4 = l.fma(va, a4);
            b4 = l.fma(vb, b4);
            l = FloatVector.fromArray(F, decoded, o + 5 * LANES);
            a5 = l.fma(va, a5);
            b5 = l.fma(vb, b5);
            l = FloatVector.fromArray(F, decoded, o + 6 * LANES);
            a6 = l.fma(va, a6);
            b6 = l.fma(vb, b6);
            l = FloatVector.fromArray(F, decoded, o + 7 * LANES);
            a7 = l.fma(va, a7);
            b7 = l.fma(vb, b7);
        }
        FloatVector s;
        s = FloatVector.fromArray(F, blockScales, 0);
        a0.fma(s, FloatVector.fromArray(F, totals, at + 0)).intoArray(totals, at + 0);
        b0.fma(s, FloatVector.fromArray(F, totals, at + GROUP_ROWS + 0)).intoArray(totals, at + GROUP_ROWS + 0);
        s = FloatVector.fromArray(F, blockScales, LANES);
        a1.fma(s, FloatVector.fromArray(F, totals, at + LANES)).intoArray(totals, at + LANES);
        b1.fma(s, FloatVector.fromArray(F, totals, at + GROUP_ROWS + LANES)).intoArray(totals, at + GROUP_ROWS + LANES);
        s = FloatVector.fromArray(F, blockScales, 2 * LANES);
        a2.fma(s, FloatVector.fromArray(F, totals, at + 2 * LANES)).intoArray(totals, at + 2 * LANES);
        b2.fma(s, FloatVector.fromArray(F, totals, at + GROUP_ROWS + 2 * LANES)).intoArray(totals, at + GROUP_ROWS + 2 * LANES);
        s = FloatVector.fromArray(F, blockScales, 3 * LANES);
        a3.fma(s, FloatVector.fromArray(F, totals, at + 3 * LANES)).intoArray(totals, at + 3 * LANES);
        b3.fma(s, FloatVector.fromArray(F, totals, at + GROUP_ROWS + 3 * LANES)).intoArray(totals, at + GROUP_ROWS + 3 * LANES);
        s = FloatVector.fromArray(F, blockScales, 4 * LANES);
        a4.fma(s, FloatVector.fromArray(F, totals, at + 4 * LANES)).intoArray(totals, at + 4 * LANES);
        b4.fma(s, FloatVector.fromArray(F, totals, at + GROUP_ROWS + 4 * LANES)).intoArray(totals, at + GROUP_ROWS + 4 * LANES);
        s = FloatVector.fromArray(F, blockScales, 5 * LANES);
        a5.fma(s, FloatVector.fromArray(F, totals, at + 5 * LANES)).intoArray(totals, at + 5 * LANES);
        b5.fma(s, FloatVector.fromArray(F, totals, at + GROUP_ROWS + 5 * LANES)).intoArray(totals, at + GROUP_ROWS + 5 * LANES);
        s = FloatVector.fromArray(F, blockScales, 6 * LANES);
        a6.fma(s, FloatVector.fromArray(F, totals, at + 6 * LANES)).intoArray(totals, at + 6 * LANES);
        b6.fma(s, FloatVector.fromArray(F, totals, at + GROUP_ROWS + 6 * LANES)).intoArray(totals, at + GROUP_ROWS + 6 * LANES);
        s = FloatVector.fromArray(F, blockScales, 7 * LANES);
        a7.fma(s, FloatVector.fromArray(F, totals, at + 7 * LANES)).intoArray(totals, at + 7 * LANES);
        b7.fma(s, FloatVector.fromArray(F, totals, at + GROUP_ROWS + 7 * LANES)).intoArray(totals, at + GROUP_ROWS + 7 * LANES);
    }

    /** {@link #blockTwoTokens} for one token: an odd batch's last. */
    private static void blockOneToken(float[] decoded, float[] blockScales, int width, float[] x, int xa, float[] totals,
                                      int at) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        for (int k = 0; k < width; k++) {
            int o = k * GROUP_ROWS;
            FloatVector va = FloatVector.broadcast(F, x[xa + k]);
            a0 = FloatVector.fromArray(F, decoded, o).fma(va, a0);
            a1 = FloatVector.fromArray(F, decoded, o + LANES).fma(va, a1);
            a2 = FloatVector.fromArray(F, decoded, o + 2 * LANES).fma(va, a2);
            a3 = FloatVector.fromArray(F, decoded, o + 3 * LANES).fma(va, a3);
            a4 = FloatVector.fromArray(F, decoded, o + 4 * LANES).fma(va, a4);
            a5 = FloatVector.fromArray(F, decoded, o + 5 * LANES).fma(va, a5);
            a6 = FloatVector.fromArray(F, decoded, o + 6 * LANES).fma(va, a6);
            a7 = FloatVector.fromArray(F, decoded, o + 7 * LANES).fma(va, a7);
        }
        a0.fma(FloatVector.fromArray(F, blockScales, 0), FloatVector.fromArray(F, totals, at + 0)).intoArray(totals, at + 0);
        a1.fma(FloatVector.fromArray(F, blockScales, LANES), FloatVector.fromArray(F, totals, at + LANES)).intoArray(totals, at + LANES);
        a2.fma(FloatVector.fromArray(F, blockScales, 2 * LANES), FloatVector.fromArray(F, totals, at + 2 * LANES)).intoArray(totals, at + 2 * LANES);
        a3.fma(FloatVector.fromArray(F, blockScales, 3 * LANES), FloatVector.fromArray(F, totals, at + 3 * LANES)).intoArray(totals, at + 3 * LANES);
        a4.fma(FloatVector.fromArray(F, blockScales, 4 * LANES), FloatVector.fromArray(F, totals, at + 4 * LANES)).intoArray(totals, at + 4 * LANES);
        a5.fma(FloatVector.fromArray(F, blockScales, 5 * LANES), FloatVector.fromArray(F, totals, at + 5 * LANES)).intoArray(totals, at + 5 * LANES);
        a6.fma(FloatVector.fromArray(F, blockScales, 6 * LANES), FloatVector.fromArray(F, totals, at + 6 * LANES)).intoArray(totals, at + 6 * LANES);
        a7.fma(FloatVector.fromArray(F, blockScales, 7 * LANES), FloatVector.fromArray(F, totals, at + 7 * LANES)).intoArray(totals, at + 7 * LANES);
    }
}

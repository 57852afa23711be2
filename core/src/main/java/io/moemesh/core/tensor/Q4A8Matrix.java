package io.moemesh.core.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.function.Supplier;

import static io.moemesh.core.tensor.QuantBlocks.BLOCK;
import static io.moemesh.core.tensor.QuantBlocks.F;

/**
 * {@code --weights q4a8}: q4's weights (the same levels in [-8, 7] and fp16 scale per row and block of 32 columns,
 * {@link Q4Matrix#BLOCK_RULE}; 4.5 bits a weight) multiplied as llama.cpp multiplies Q4_0: the inputs quantized to
 * int8 per block ({@link Int8Inputs}: x ≈ q·d), and a block's Σ level·q summed in 16-bit integer lanes. Then, block
 * by block, total = fma(Σ, scale·d, total). It costs accuracy (the inputs' rounding, ~0.4% of a block's largest
 * input: README) for speed: a core here multiplies and adds 16-bit lanes at 1.7 times the rate of float fused
 * multiply-adds (32 lanes a multiply against 16), and a column of 128 weights takes a load, three shifts, three
 * masks, four multiplies and four adds, where q4 spends eight float multiply-adds.
 *
 * <p><b>Exact sums.</b> |level| ≤ 8 and |q| ≤ 127, so a block's |Σ level·q| ≤ 32·8·127 = 32512 fits a 16-bit
 * lane. The lanes hold u = level + 8 ∈ [0, 15] and the sum starts at −8·Σq: Σ u·q − 8·Σq may wrap on the way, but
 * it is Σ level·q modulo 2^16, which fits, so it ends exact. Integer sums are exact in any order: every kernel (one
 * token, four, the scalar twin) gives the same floats, and a token's results never depend on its batch.
 *
 * <p><b>Layout.</b> Rows in groups of 8·L (128 with AVX-512), four panels of 2·L rows, one 16-bit lane per row of a
 * panel: a group's column is 2·L shorts, lane j holding row p·2·L + j's u in bits 4p..4p+3. For each group, block
 * and column in that order, as {@link RowPanels}; the scales {@code [group][block][8·L]} as {@link ScaledPanels}.
 */
public record Q4A8Matrix(MemorySegment levels, MemorySegment scales, int rows, int cols) implements BlockLevels {
    /** 16-bit lanes in a vector as wide as the float kernels': one panel's 2·L rows, four panels a group. */
    static final VectorSpecies<Short> P = VectorSpecies.of(short.class, F.vectorShape());
    static final int PANEL_ROWS = P.length(), GROUP_ROWS = RowPanels.GROUP_ROWS, L = RowPanels.L;
    private static final int COLUMN_BYTES = 2 * PANEL_ROWS;
    private static final short NIBBLE = 0xF;
    private static final ValueLayout.OfShort LANE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    public static Q4A8Matrix quantize(Matrix source, Arena arena) {
        return pack(source.rows(), source.cols(), arena, ScaledPanels.quantizing(source, Q4Matrix.BLOCK_RULE));
    }

    /** The same levels and scales in this layout: exact, for Q4_0 blocks read from a GGUF file. */
    public static Q4A8Matrix repack(GgmlQ4Matrix source, Arena arena) {
        return pack(source.rows(), source.cols(), arena, ScaledPanels.exactly(source));
    }

    static Q4A8Matrix pack(int rows, int cols, Arena arena, Supplier<ScaledPanels.RowLevels> perThread) {
        int width = QuantBlocks.blocks(cols) * BLOCK;
        MemorySegment packed = Q4Matrix.levelsMemory(arena, (long) RowPanels.groups(rows) * width * COLUMN_BYTES);
        MemorySegment scales = ScaledPanels.pack(rows, cols, packed, arena, perThread, (g, levels, out) -> {
            long at = (long) g * width * COLUMN_BYTES;
            for (int c = 0; c < width; c++) {
                for (int lane = 0; lane < PANEL_ROWS; lane++, at += 2) {
                    int word = 0;
                    for (int p = 0; p < 4; p++) {
                        word |= (levels[p * PANEL_ROWS + lane][c] + 8) << 4 * p;
                    }
                    out.set(LANE, at, (short) word);
                }
            }
        });
        return new Q4A8Matrix(packed, scales, rows, cols);
    }

    /** The same weights over copies of the memory. */
    public Q4A8Matrix copy(Arena arena) {
        return new Q4A8Matrix(Q4Matrix.levelsMemory(arena, levels.byteSize()).copyFrom(levels),
                arena.allocate(scales.byteSize(), 64).copyFrom(scales), rows, cols);
    }

    @Override
    public long bytes() {
        return levels.byteSize() + scales.byteSize();
    }

    @Override
    public String format() {
        return "q4a8";
    }

    private int blocks() {
        return QuantBlocks.blocks(cols);
    }

    /** Byte offset of column {@code col} of group {@code group}. */
    private long columnAt(int group, int col) {
        return ((long) group * blocks() * BLOCK + col) * COLUMN_BYTES;
    }

    /** Byte offset of the first fp16 scale of (group, block). */
    private long scalesAt(int group, int block) {
        return 2 * ((long) group * blocks() + block) * GROUP_ROWS;
    }

    @Override
    public int level(int row, int col) {
        int within = row % GROUP_ROWS;
        int word = levels.get(LANE, columnAt(row / GROUP_ROWS, col) + 2L * (within % PANEL_ROWS));
        return (word >>> 4 * (within / PANEL_ROWS) & NIBBLE) - 8;
    }

    @Override
    public float scale(int row, int block) {
        return Float.float16ToFloat(scales.get(LANE, scalesAt(row / GROUP_ROWS, block) + 2L * (row % GROUP_ROWS)));
    }

    @Override
    public int rowGrain() {
        return GROUP_ROWS;
    }

    /**
     * The scalar twin: the inputs quantized one value at a time ({@link Int8Inputs#quantizeBlock}), Σ level·q in an
     * int, and total = fma(Σ, scale·d, total) block by block: exactly what the kernels give.
     */
    @Override
    public float dotReference(int row, float[] x, int xOffset) {
        short[] q = new short[BLOCK];
        float[] step = new float[1];
        short[] start = new short[1];
        float total = 0;
        for (int b = 0, blocks = blocks(); b < blocks; b++) {
            int from = b * BLOCK, width = Math.min(BLOCK, cols - from);
            Int8Inputs.quantizeBlock(x, xOffset + from, width, q, 0, step, start, 0);
            int sum = 0;
            for (int c = 0; c < width; c++) {
                sum += level(row, from + c) * q[c];
            }
            total = Math.fma((float) sum, scale(row, b) * step[0], total);
        }
        return total;
    }

    /** One row alone: the twin's scalar loop (the kernels take whole groups of rows). */
    @Override
    public float dot(int row, float[] x, int xOffset) {
        return dotReference(row, x, xOffset);
    }

    @Override
    public void dotRows(int from, int to, float[] x, int xOffset, float[] out, int outOffset) {
        dotRowRange(from, to, x, xOffset, 1, out, outOffset, rows);
    }

    /** Per-thread arrays of the kernels: a block decoded to 16-bit lanes, sums, scales and a group's totals. */
    private static final class Work {
        final short[] decoded = new short[BLOCK * GROUP_ROWS];
        final short[] sums = new short[4 * GROUP_ROWS];
        final float[] weightScales = new float[GROUP_ROWS], tokenScales = new float[GROUP_ROWS];
        float[] totals = new float[0];

        float[] totals(int tokens) {
            if (totals.length < tokens * GROUP_ROWS) {
                totals = new float[tokens * GROUP_ROWS];
            }
            return totals;
        }
    }

    private static final ThreadLocal<Work> WORK = ThreadLocal.withInitial(Work::new);

    /**
     * Rows [from, to) for {@code tokens} inputs, whole groups at a time. Per group and block: from four tokens on,
     * the block is decoded to 16-bit lanes once and four tokens at a time run over it ({@link #fourTokens}), sixteen
     * 16-bit accumulators; the rest (and a batch of fewer) one token at a time straight from the weights
     * ({@link #oneToken}, the block then in cache). One group at a time: two groups a pass, one column of each (two
     * streams of weights, as q4's pair kernel reads), measured no faster at one token (bench kernels, two threads, A/B
     * twice: q4a8 over q4 in the same run 0.91–1.07 with it, 0.94–1.28 without).
     */
    @Override
    public void dotRowRange(int from, int to, float[] x, int xOffset, int tokens, float[] out, int outOffset,
                            int outStride) {
        Int8Inputs in = Int8Inputs.quantize(x, xOffset, cols, tokens);
        Work work = WORK.get();
        float[] totals = work.totals(tokens);
        int blocks = blocks(), width = blocks * BLOCK;
        for (int g = from / GROUP_ROWS; g * GROUP_ROWS < to; g++) {
            Arrays.fill(totals, 0, tokens * GROUP_ROWS, 0f);
            for (int b = 0; b < blocks; b++) {
                int t = 0;
                if (tokens >= 4) {
                    decode(g, b, work.decoded);
                    ScaledPanels.scalesTimes(scales, scalesAt(g, b), 1, work.weightScales);
                    for (; t + 4 <= tokens; t += 4) {
                        fourTokens(work.decoded, in.q, t * width + b * BLOCK, width, in.starts, t * blocks + b, blocks,
                                work.sums);
                        addFour(work.sums, work.weightScales, in.steps, t * blocks + b, blocks, totals, t * GROUP_ROWS);
                    }
                }
                for (; t < tokens; t++) {
                    int block = t * blocks + b;
                    ScaledPanels.scalesTimes(scales, scalesAt(g, b), in.steps[block], work.tokenScales);
                    oneToken(g, b, in.q, t * width + b * BLOCK, in.starts[block], totals, t * GROUP_ROWS,
                            work.tokenScales);
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

    /** The 32 columns of (group, block) as 16-bit u, column k's panel p at k·8·L + p·2·L. */
    private void decode(int group, int block, short[] decoded) {
        long at = columnAt(group, block * BLOCK);
        for (int k = 0, o = 0; k < BLOCK; k++, at += COLUMN_BYTES, o += GROUP_ROWS) {
            ShortVector v = ShortVector.fromMemorySegment(P, levels, at, ByteOrder.LITTLE_ENDIAN);
            v.and(NIBBLE).intoArray(decoded, o);
            v.lanewise(VectorOperators.LSHR, (short) 4).and(NIBBLE).intoArray(decoded, o + PANEL_ROWS);
            v.lanewise(VectorOperators.LSHR, (short) 8).and(NIBBLE).intoArray(decoded, o + 2 * PANEL_ROWS);
            v.lanewise(VectorOperators.LSHR, (short) 12).intoArray(decoded, o + 3 * PANEL_ROWS);
        }
    }

    /**
     * One token over (group, block) from memory: Σ u·q from the block's start −8·Σq in four 16-bit accumulators (one
     * per panel), then each row's total += Σ · (scale·d) ({@code blockScales}, already multiplied). Two columns a
     * pass, written out, as q4's kernel (left alone the JIT unrolls such loops eight times and reads memory slower).
     */
    private void oneToken(int group, int block, short[] q, int qo, short start, float[] totals, int at,
                          float[] blockScales) {
        long a = columnAt(group, block * BLOCK), end = a + BLOCK * COLUMN_BYTES;
        ShortVector s0 = ShortVector.broadcast(P, start), s1 = s0, s2 = s0, s3 = s0, v, x;
        for (; a < end; a += 2 * COLUMN_BYTES, qo += 2) {
            v = ShortVector.fromMemorySegment(P, levels, a, ByteOrder.LITTLE_ENDIAN);
            x = ShortVector.broadcast(P, q[qo]);
            s0 = v.and(NIBBLE).mul(x).add(s0);
            s1 = v.lanewise(VectorOperators.LSHR, (short) 4).and(NIBBLE).mul(x).add(s1);
            s2 = v.lanewise(VectorOperators.LSHR, (short) 8).and(NIBBLE).mul(x).add(s2);
            s3 = v.lanewise(VectorOperators.LSHR, (short) 12).mul(x).add(s3);
            v = ShortVector.fromMemorySegment(P, levels, a + COLUMN_BYTES, ByteOrder.LITTLE_ENDIAN);
            x = ShortVector.broadcast(P, q[qo + 1]);
            s0 = v.and(NIBBLE).mul(x).add(s0);
            s1 = v.lanewise(VectorOperators.LSHR, (short) 4).and(NIBBLE).mul(x).add(s1);
            s2 = v.lanewise(VectorOperators.LSHR, (short) 8).and(NIBBLE).mul(x).add(s2);
            s3 = v.lanewise(VectorOperators.LSHR, (short) 12).mul(x).add(s3);
        }
        // each panel's 2·L sums are two vectors of L rows (the 16-bit lanes' halves), converted exactly to float
        int p1 = PANEL_ROWS, p2 = 2 * PANEL_ROWS, p3 = 3 * PANEL_ROWS;
        ((FloatVector) s0.convertShape(VectorOperators.S2F, F, 0)).fma(FloatVector.fromArray(F, blockScales, 0),
                FloatVector.fromArray(F, totals, at)).intoArray(totals, at);
        ((FloatVector) s0.convertShape(VectorOperators.S2F, F, 1)).fma(FloatVector.fromArray(F, blockScales, L),
                FloatVector.fromArray(F, totals, at + L)).intoArray(totals, at + L);
        ((FloatVector) s1.convertShape(VectorOperators.S2F, F, 0)).fma(FloatVector.fromArray(F, blockScales, p1),
                FloatVector.fromArray(F, totals, at + p1)).intoArray(totals, at + p1);
        ((FloatVector) s1.convertShape(VectorOperators.S2F, F, 1)).fma(FloatVector.fromArray(F, blockScales, p1 + L),
                FloatVector.fromArray(F, totals, at + p1 + L)).intoArray(totals, at + p1 + L);
        ((FloatVector) s2.convertShape(VectorOperators.S2F, F, 0)).fma(FloatVector.fromArray(F, blockScales, p2),
                FloatVector.fromArray(F, totals, at + p2)).intoArray(totals, at + p2);
        ((FloatVector) s2.convertShape(VectorOperators.S2F, F, 1)).fma(FloatVector.fromArray(F, blockScales, p2 + L),
                FloatVector.fromArray(F, totals, at + p2 + L)).intoArray(totals, at + p2 + L);
        ((FloatVector) s3.convertShape(VectorOperators.S2F, F, 0)).fma(FloatVector.fromArray(F, blockScales, p3),
                FloatVector.fromArray(F, totals, at + p3)).intoArray(totals, at + p3);
        ((FloatVector) s3.convertShape(VectorOperators.S2F, F, 1)).fma(FloatVector.fromArray(F, blockScales, p3 + L),
                FloatVector.fromArray(F, totals, at + p3 + L)).intoArray(totals, at + p3 + L);
    }

    /**
     * Four tokens (q[qa + t·stride ...], t = 0..3) over a decoded block, all four panels: sixteen 16-bit sums, each
     * from its token's start, stored to {@code sums} (token t's panel p at (4t + p)·2·L) for {@link #addFour}. Each
     * loaded vector of u serves four tokens. The sums leave through memory because a method holding the sixteen
     * accumulators and the epilogue was too big for C1's profiling compile, and stuck in its first tier it ran 100
     * times slower.
     */
    private static void fourTokens(short[] decoded, short[] q, int qa, int stride, short[] starts, int sa,
                                   int startStride, short[] sums) {
        ShortVector a0 = ShortVector.broadcast(P, starts[sa]), a1 = a0, a2 = a0, a3 = a0;
        ShortVector b0 = ShortVector.broadcast(P, starts[sa + startStride]), b1 = b0, b2 = b0, b3 = b0;
        ShortVector c0 = ShortVector.broadcast(P, starts[sa + 2 * startStride]), c1 = c0, c2 = c0, c3 = c0;
        ShortVector d0 = ShortVector.broadcast(P, starts[sa + 3 * startStride]), d1 = d0, d2 = d0, d3 = d0;
        int qb = qa + stride, qc = qb + stride, qd = qc + stride;
        for (int k = 0; k < BLOCK; k++) {
            int o = k * GROUP_ROWS;
            ShortVector xa = ShortVector.broadcast(P, q[qa + k]), xb = ShortVector.broadcast(P, q[qb + k]);
            ShortVector xc = ShortVector.broadcast(P, q[qc + k]), xd = ShortVector.broadcast(P, q[qd + k]);
            ShortVector u = ShortVector.fromArray(P, decoded, o);
            a0 = u.mul(xa).add(a0);
            b0 = u.mul(xb).add(b0);
            c0 = u.mul(xc).add(c0);
            d0 = u.mul(xd).add(d0);
            u = ShortVector.fromArray(P, decoded, o + PANEL_ROWS);
            a1 = u.mul(xa).add(a1);
            b1 = u.mul(xb).add(b1);
            c1 = u.mul(xc).add(c1);
            d1 = u.mul(xd).add(d1);
            u = ShortVector.fromArray(P, decoded, o + 2 * PANEL_ROWS);
            a2 = u.mul(xa).add(a2);
            b2 = u.mul(xb).add(b2);
            c2 = u.mul(xc).add(c2);
            d2 = u.mul(xd).add(d2);
            u = ShortVector.fromArray(P, decoded, o + 3 * PANEL_ROWS);
            a3 = u.mul(xa).add(a3);
            b3 = u.mul(xb).add(b3);
            c3 = u.mul(xc).add(c3);
            d3 = u.mul(xd).add(d3);
        }
        a0.intoArray(sums, 0);
        a1.intoArray(sums, PANEL_ROWS);
        a2.intoArray(sums, 2 * PANEL_ROWS);
        a3.intoArray(sums, 3 * PANEL_ROWS);
        b0.intoArray(sums, GROUP_ROWS);
        b1.intoArray(sums, GROUP_ROWS + PANEL_ROWS);
        b2.intoArray(sums, GROUP_ROWS + 2 * PANEL_ROWS);
        b3.intoArray(sums, GROUP_ROWS + 3 * PANEL_ROWS);
        c0.intoArray(sums, 2 * GROUP_ROWS);
        c1.intoArray(sums, 2 * GROUP_ROWS + PANEL_ROWS);
        c2.intoArray(sums, 2 * GROUP_ROWS + 2 * PANEL_ROWS);
        c3.intoArray(sums, 2 * GROUP_ROWS + 3 * PANEL_ROWS);
        d0.intoArray(sums, 3 * GROUP_ROWS);
        d1.intoArray(sums, 3 * GROUP_ROWS + PANEL_ROWS);
        d2.intoArray(sums, 3 * GROUP_ROWS + 2 * PANEL_ROWS);
        d3.intoArray(sums, 3 * GROUP_ROWS + 3 * PANEL_ROWS);
    }

    /**
     * {@link #fourTokens}' sums into the four tokens' totals ({@code totals[at + t·8·L ...]}): total = fma(Σ,
     * scale·d, total), the scale·d rounded once as {@link ScaledPanels#scalesTimes} rounds it for one token.
     */
    private static void addFour(short[] sums, float[] weightScales, float[] steps, int sa, int stepStride,
                                float[] totals, int at) {
        for (int t = 0; t < 4; t++) {
            float step = steps[sa + t * stepStride];
            int to = at + t * GROUP_ROWS;
            for (int p = 0; p < GROUP_ROWS; p += PANEL_ROWS) {
                ShortVector s = ShortVector.fromArray(P, sums, t * GROUP_ROWS + p);
                ((FloatVector) s.convertShape(VectorOperators.S2F, F, 0))
                        .fma(FloatVector.fromArray(F, weightScales, p).mul(step), FloatVector.fromArray(F, totals, to + p))
                        .intoArray(totals, to + p);
                ((FloatVector) s.convertShape(VectorOperators.S2F, F, 1))
                        .fma(FloatVector.fromArray(F, weightScales, p + L).mul(step),
                                FloatVector.fromArray(F, totals, to + p + L))
                        .intoArray(totals, to + p + L);
            }
        }
    }
}

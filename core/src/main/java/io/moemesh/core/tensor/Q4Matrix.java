package io.moemesh.core.tensor;

import io.moemesh.core.weights.Numerics;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import static io.moemesh.core.tensor.QuantBlocks.BLOCK;
import static io.moemesh.core.tensor.QuantBlocks.F;

/**
 * Our 4-bit weights ({@code --weights q4}): each row in blocks of 32 columns, w = level · scale with level ∈ [-8, 7]
 * and one signed fp16 scale per block, as llama.cpp's Q4_0 — but laid out for the kernel.
 *
 * <p><b>Layout.</b> With L float lanes (16 with AVX-512, 8 with AVX2), a row is a run of groups of 8·L columns,
 * 4·L bytes each, read as one vector of L ints. Int lane l holds the levels of columns l, L + l, …, 7L + l of its
 * group as 4-bit two's complement, column nL + l in bits 4n..4n+3. The levels of L consecutive columns are then
 * a shift left (nibble n to the top), an arithmetic shift right by 28 and a conversion: three operations per L
 * weights. Q4_0's byte layout ({@link GgmlQ4Matrix}) needs a mask, a subtraction of 8 and a byte-to-int widening
 * on the shuffle port besides the conversion; on this 4-bit kernel, which is bound by those operations rather than
 * by memory, the lane layout decodes about 30% more weights per second from memory and 45% more from cache
 * (measured at one thread on AVX-512). A row's last group is padded with zero levels; the fp16 scales are a
 * separate segment, {@code ceil(cols / 32)} per row. 4.5 bits per weight, as Q4_0.
 *
 * <p><b>Scales.</b> The grid [-8, 7] · scale is lopsided, so the scale is signed to put the extra level on the side
 * of the block's largest-magnitude weight m. Q4_0 takes scale = -m / 8. We try -m / k for k from 7 (nothing
 * clamps) to 9 (m itself clips to -8 · scale, one step off, for a finer step everywhere else) in quarter steps and
 * keep the least squared error: never worse than Q4_0 on a block, and about 10% less squared error on Gaussian
 * weights. Weights inside the grid are within |scale| / 2; clipped ones are off by their distance to the grid's
 * end, under 2 · |scale|.
 */
public record Q4Matrix(BlockLayout layout, int rows, int cols) implements ScaledBlocks {
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    private static final int LANES = F.length();
    /** Each int lane holds 8 nibbles, so a block of 32 columns is 32 / L of the group's nibble positions. */
    private static final int NIBBLES_PER_BLOCK = BLOCK / LANES;
    private static final int GROUP_BLOCKS = 8 / NIBBLES_PER_BLOCK;
    private static final int GROUP_COLS = 8 * LANES;
    private static final int GROUP_BYTES = 4 * LANES;
    private static final ValueLayout.OfInt LANE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** Grid steps the largest weight may span; Q4_0's 8 first, so it wins ties. */
    private static final float[] STEPS_FOR_MAX = {8f, 9f, 8.75f, 8.5f, 8.25f, 7.75f, 7.5f, 7.25f, 7f};

    static {
        if (NIBBLES_PER_BLOCK * LANES != BLOCK || NIBBLES_PER_BLOCK > 8) {
            throw new IllegalStateException("no q4 lane layout for float species " + F);
        }
    }

    /** The same weights over copies of the memory. */
    public Q4Matrix copy(Arena arena) {
        return new Q4Matrix(layout.copy(arena), rows, cols);
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
                        levels[c] = level(w[c], scale);
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
                levels[c] = source.level(r, c);
            }
            for (int b = 0; b < scales.length; b++) {
                scales[b] = Float.floatToFloat16(source.scale(r, b));
            }
        });
    }

    /** Fills one row's levels (one per column) and fp16 scales (one per block). */
    private interface RowLevels {
        void fill(int row, int[] levels, short[] scales);
    }

    private static Q4Matrix pack(int rows, int cols, Arena arena, java.util.function.Supplier<RowLevels> perThread) {
        int blocks = QuantBlocks.blocks(cols), groups = (cols + GROUP_COLS - 1) / GROUP_COLS;
        long rowBytes = (long) groups * GROUP_BYTES;
        MemorySegment packed = arena.allocate(rows * rowBytes, 64);
        MemorySegment scaleSegment = arena.allocate((long) rows * blocks * 2, 64);
        QuantBlocks.forRows(rows, packed, (first, end) -> {
            RowLevels source = perThread.get();
            int[] levels = new int[groups * GROUP_COLS];   // padding stays level 0
            short[] scales = new short[blocks];
            for (int r = first; r < end; r++) {
                source.fill(r, levels, scales);
                for (int b = 0; b < blocks; b++) {
                    scaleSegment.setAtIndex(Numerics.I16, (long) r * blocks + b, scales[b]);
                }
                for (int g = 0; g < groups; g++) {
                    for (int lane = 0; lane < LANES; lane++) {
                        int word = 0;
                        for (int n = 0; n < 8; n++) {
                            word |= (levels[g * GROUP_COLS + n * LANES + lane] & 0xF) << 4 * n;
                        }
                        packed.set(LANE, r * rowBytes + (long) g * GROUP_BYTES + 4L * lane, word);
                    }
                }
            }
        });
        // levelsAt(row, block) is then the start of the block's group whenever block is a multiple of GROUP_BLOCKS
        return new Q4Matrix(BlockLayout.separate(packed, rowBytes, GROUP_BYTES / GROUP_BLOCKS, scaleSegment, rows, cols,
                "q4"), rows, cols);
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
    public float scale(int row, int block) {
        return layout.scale(row, block);
    }

    /** dot's second accumulator takes the blocks at odd positions in their group: odd blocks, or none. */
    @Override
    public int oddBlockMask() {
        return GROUP_BLOCKS > 1 ? 1 : 0;
    }

    /** Byte offset of group {@code group} of {@code row}. */
    private long groupAt(int row, int group) {
        return layout.levelsAt(row, group * GROUP_BLOCKS);
    }

    @Override
    public int level(int row, int col) {
        int within = col % GROUP_COLS;
        int word = layout.levels().get(LANE, groupAt(row, col / GROUP_COLS) + 4L * (within % LANES));
        return word << 28 - 4 * (within / LANES) >> 28;
    }

    @Override
    public void levels(int row, int block, float[] dst, int dstOffset) {
        IntVector group = IntVector.fromMemorySegment(I, layout.levels(), groupAt(row, block / GROUP_BLOCKS), ByteOrder.LITTLE_ENDIAN);
        int first = block % GROUP_BLOCKS * NIBBLES_PER_BLOCK;
        for (int k = 0; k < NIBBLES_PER_BLOCK; k++) {
            // the levels of the group's columns nL .. nL + L - 1: nibble n to the top, then back down with its sign
            ((FloatVector) group.lanewise(VectorOperators.LSHL, 28 - 4 * (first + k)).lanewise(VectorOperators.ASHR, 28)
                    .castShape(F, 0)).intoArray(dst, dstOffset + k * LANES);
        }
    }

    /** A whole row's levels: each group loaded once for its 8 level vectors, no call per block. */
    @Override
    public void levels(int row, float[] dst) {
        int full = cols / BLOCK, wholeGroups = full / GROUP_BLOCKS;
        MemorySegment packed = layout.levels();
        for (int g = 0; g < wholeGroups; g++) {
            IntVector group = IntVector.fromMemorySegment(I, packed, groupAt(row, g), ByteOrder.LITTLE_ENDIAN);
            for (int n = 0; n < 8; n++) {
                ((FloatVector) group.lanewise(VectorOperators.LSHL, 28 - 4 * n).lanewise(VectorOperators.ASHR, 28)
                        .castShape(F, 0)).intoArray(dst, g * GROUP_COLS + n * LANES);
            }
        }
        for (int b = wholeGroups * GROUP_BLOCKS; b < full; b++) {
            levels(row, b, dst, b * BLOCK);
        }
    }

    /**
     * ScaledBlocks' blocked sum, written out in full (see there), with one change of order: a block goes to the
     * accumulator of its position's parity within its group (not the parity of its index), so that every shift
     * in the loop over a whole group is a constant. The same thing for an even number of blocks per group. A
     * level vector is nibble n shifted to the top, then back down with its sign, and converted.
     */
    @Override
    public float dot(int row, float[] x, int xOffset, float[] scales, int scalesOffset) {
        int full = cols / BLOCK, wholeGroups = full / GROUP_BLOCKS;
        MemorySegment packed = layout.levels();
        // the row's first group once, then a constant stride: groupAt per group (a multiply of record fields each
        // time) measured slower. 768x2048 from L2, one thread: 15.3 -> 16.5 GB/s (the cause was not disassembled)
        long rowAt = groupAt(row, 0);
        FloatVector acc0 = FloatVector.zero(F);   // blocks at even positions in their group
        FloatVector acc1 = FloatVector.zero(F);   // odd positions
        for (int g = 0; g < wholeGroups; g++) {
            IntVector group = IntVector.fromMemorySegment(I, packed, rowAt + g * (long) GROUP_BYTES, ByteOrder.LITTLE_ENDIAN);
            // two blocks per step, one to each accumulator (GROUP_BLOCKS is even unless a block fills a group)
            for (int j = 0; j < GROUP_BLOCKS; j += 2) {
                int b = g * GROUP_BLOCKS + j, c0 = xOffset + b * BLOCK;
                FloatVector sum = FloatVector.zero(F);
                for (int k = 0; k < NIBBLES_PER_BLOCK; k++) {
                    sum = ((FloatVector) group.lanewise(VectorOperators.LSHL, 28 - 4 * (j * NIBBLES_PER_BLOCK + k))
                            .lanewise(VectorOperators.ASHR, 28).castShape(F, 0)).fma(FloatVector.fromArray(F, x, c0 + k * LANES), sum);
                }
                acc0 = sum.fma(FloatVector.broadcast(F, scales[scalesOffset + b]), acc0);
                if (GROUP_BLOCKS > 1) {
                    sum = FloatVector.zero(F);
                    for (int k = 0; k < NIBBLES_PER_BLOCK; k++) {
                        sum = ((FloatVector) group.lanewise(VectorOperators.LSHL, 28 - 4 * ((j + 1) * NIBBLES_PER_BLOCK + k))
                                .lanewise(VectorOperators.ASHR, 28).castShape(F, 0)).fma(FloatVector.fromArray(F, x, c0 + BLOCK + k * LANES), sum);
                    }
                    acc1 = sum.fma(FloatVector.broadcast(F, scales[scalesOffset + b + 1]), acc1);
                }
            }
        }
        // whole blocks of a partial last group (rows whose width is not a multiple of 8·L): shifts by variables
        for (int b = wholeGroups * GROUP_BLOCKS; b < full; b++) {
            IntVector group = IntVector.fromMemorySegment(I, packed, groupAt(row, wholeGroups), ByteOrder.LITTLE_ENDIAN);
            int j = b % GROUP_BLOCKS, c0 = xOffset + b * BLOCK;
            FloatVector sum = FloatVector.zero(F);
            for (int k = 0; k < NIBBLES_PER_BLOCK; k++) {
                sum = ((FloatVector) group.lanewise(VectorOperators.LSHL, 28 - 4 * (j * NIBBLES_PER_BLOCK + k))
                        .lanewise(VectorOperators.ASHR, 28).castShape(F, 0)).fma(FloatVector.fromArray(F, x, c0 + k * LANES), sum);
            }
            FloatVector scale = FloatVector.broadcast(F, scales[scalesOffset + b]);
            if ((j & 1) == 0) {
                acc0 = sum.fma(scale, acc0);
            } else {
                acc1 = sum.fma(scale, acc1);
            }
        }
        return ScaledBlocks.partialBlock(this, row, x, xOffset, VectorMath.sumLanes(acc0.add(acc1)));
    }
}

package io.moemesh.core.tensor;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;

import static io.moemesh.core.tensor.QuantBlocks.B;
import static io.moemesh.core.tensor.QuantBlocks.F;
import static jdk.incubator.vector.VectorOperators.I2F;

/**
 * llama.cpp's Q6_K in our row panels ({@link RowPanels}), every value kept: w = d · s · q with a six-bit level
 * q ∈ [-32, 31], an int8 scale s per row and 16 columns, and an fp16 d per row and 256 columns. Q4_K_M files keep
 * their most sensitive tensors in Q6_K (the output head, which every token reads whole, and some attn_v and ffn_down),
 * so it is a large share of their bytes: 40% of the 8-layer 30B-A3B shape's per token. In int8 (requantized) they
 * took 8.5 bits a weight; here 6.625, against Q6_K's 6.56.
 *
 * <p><b>Blocks of 16.</b> A block here is one scale's 16 columns ({@link #blockWidth}), its scale d · s · 2^40
 * ({@link #blockScale}: exact, 11 + 8 bits). Within it the kernels multiply u = q + 32 ∈ [0, 63] as the value
 * u · 2^-40 ({@link #value}) from the start −32 · 2^-40 · Σx ({@link #valueOffset}): Σ q·x as q4 sums its levels.
 * An earlier layout kept blocks of 32, which made the value s · q and cost a conversion and a multiply per vector:
 * bench kernels batch 1 at one thread ran at 18.9 GB/s against int8's 31.5.
 *
 * <p><b>Layout.</b> A group's columns come in pairs: three ints a lane hold the pair's 16 levels (the first column's
 * eight panels, then the second's), five a word in bits 17..22, 11..16 and 5..10, 23..28, and 29..31 with 0..2; the
 * sixteenth is split over the words' bits 3..4 (its high bits in the first). One rotation right by 12 brings the
 * fourth and fifth into the windows of the first and second, and a mask takes a level in place: the kernel reads
 * it as q4 reads a nibble ({@link Q4Kernel}), the subnormal u · 2^(p − 149) for a window at bit p, or converted to
 * the float u · 2^p, times the input scaled to make it u · 2^-40 · x exactly, one scaled copy of the inputs per
 * window ({@link #streamedInputs}). The sixteenth is three masks and shifts into bits 5..10. Per L weights about a
 * mask and a multiply-add, as q4. Scales apart: the int8 s, {@code [group][block][8·L rows]}, and d · 2^40 as a
 * float, {@code [group][super-block][8·L rows]}.
 */
public record Q6Matrix(MemorySegment levels, MemorySegment subScales, MemorySegment superScales, int rows, int cols)
        implements RowPanels {
    /** A byte vector may be wider than a panel (8 bytes for 4 floats of 128 bits): the last scales' loads need room. */
    private static final int SLACK = 64;
    /** Columns one int8 scale covers: a block here. */
    public static final int SPAN = 16;
    /** Columns of Q6_K's super-block: one d. */
    private static final int SUPER = 256;
    /** Bytes of a group's pair of columns: three ints a lane. */
    private static final int PAIR_BYTES = 12 * L;
    /** A column's share of a pair. */
    private static final int COLUMN_BYTES = PAIR_BYTES / 2;
    /** What one unit of u is worth in the values every path multiplies. */
    private static final float UNIT = 0x1p-40f;
    /** The windows a level is masked in: bits 17..22, 11..16 and 5..10. */
    private static final int W17 = 0x3F << 17, W11 = 0x3F << 11, W5 = 0x3F << 5, SPLIT = 3 << 3;
    /** Where level i of a word (i = 0..4) sits: the last two reach the windows of the first two by a rotation. */
    private static final int[] SLOT = {17, 11, 5, 23, 29};
    /** The input's scale for a window at bit p: u·2^(p−149) · 2^(109−p), or u·2^p · 2^(−40−p), is u·2^-40. */
    private static final float[] INPUT_SCALES = Q4Kernel.SUBNORMAL
            ? new float[]{0x1p92f, 0x1p98f, 0x1p104f} : new float[]{0x1p-57f, 0x1p-51f, 0x1p-45f};
    private static final ValueLayout.OfInt LANE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    public Q6Matrix {
        if (cols % SUPER != 0) {
            throw new IllegalArgumentException("q6 columns come in whole super-blocks of " + SUPER + ": " + cols);
        }
    }

    /** Five signed levels in one word's slots ({@link #SLOT}), each as u = q + 32. */
    private static int word(int q0, int q1, int q2, int q3, int q4) {
        return Integer.rotateLeft(q0 + 32, SLOT[0]) | Integer.rotateLeft(q1 + 32, SLOT[1])
                | Integer.rotateLeft(q2 + 32, SLOT[2]) | Integer.rotateLeft(q3 + 32, SLOT[3])
                | Integer.rotateLeft(q4 + 32, SLOT[4]);
    }

    /** The same levels and scales in this layout: exact, for Q6_K blocks read from a GGUF file. */
    public static Q6Matrix repack(GgmlKQuantMatrix.Q6K source, Arena arena) {
        int rows = source.rows(), cols = source.cols(), groups = RowPanels.groups(rows);
        int blocks = cols / SPAN, supers = cols / SUPER;
        MemorySegment packed = Q4Matrix.levelsMemory(arena, (long) groups * cols * COLUMN_BYTES);
        MemorySegment subScales = arena.allocate((long) groups * blocks * GROUP_ROWS + SLACK, 64);
        MemorySegment superScales = arena.allocate((long) groups * supers * GROUP_ROWS * 4, 64);
        QuantBlocks.forRows(groups, packed, (firstGroup, endGroup) -> {
            byte[][] levels = new byte[GROUP_ROWS][cols];
            byte[] rowSubScales = new byte[blocks];
            short[] rowSuperScales = new short[supers];
            // a group's scales in their layout ([block][row], [super-block][row]), copied into place in bulk
            byte[] groupSubScales = new byte[blocks * GROUP_ROWS];
            float[] groupSuperScales = new float[supers * GROUP_ROWS];
            int[] words = new int[cols / 2 * 3 * L];   // the group's levels in their layout, copied into place in bulk
            for (int g = firstGroup; g < endGroup; g++) {
                Arrays.fill(groupSubScales, (byte) 0);
                Arrays.fill(groupSuperScales, 0);
                for (int within = 0; within < GROUP_ROWS; within++) {
                    int r = g * GROUP_ROWS + within;
                    Arrays.fill(levels[within], (byte) -32);   // padding: u = 0
                    if (r >= rows) {
                        continue;
                    }
                    source.levels(r, levels[within], rowSubScales, 0, rowSuperScales);
                    for (int b = 0; b < blocks; b++) {
                        groupSubScales[b * GROUP_ROWS + within] = rowSubScales[b];
                    }
                    for (int s = 0; s < supers; s++) {
                        groupSuperScales[s * GROUP_ROWS + within] = Float.float16ToFloat(rowSuperScales[s]) / UNIT;
                    }
                }
                MemorySegment.copy(groupSubScales, 0, subScales, ValueLayout.JAVA_BYTE, subScalesAt(g, 0, blocks),
                        groupSubScales.length);
                MemorySegment.copy(groupSuperScales, 0, superScales, FLOAT, superScalesAt(g, 0, supers),
                        groupSuperScales.length);
                // lane by lane over the column pairs, the eight panels' row arrays read in step, then one bulk copy
                // (as Q4Matrix.pack, which says why)
                for (int lane = 0; lane < L; lane++) {
                    byte[] r0 = levels[lane], r1 = levels[L + lane], r2 = levels[2 * L + lane], r3 = levels[3 * L + lane];
                    byte[] r4 = levels[4 * L + lane], r5 = levels[5 * L + lane], r6 = levels[6 * L + lane];
                    byte[] r7 = levels[7 * L + lane];
                    for (int c = 0, at = lane; c < cols; c += 2, at += 3 * L) {
                        // the pair's 16 levels: the first column's eight panels, then the second's; SLOT says where
                        int sixteenth = r7[c + 1] + 32;
                        words[at] = word(r0[c], r1[c], r2[c], r3[c], r4[c]) | (sixteenth >> 4) << 3;
                        words[at + L] = word(r5[c], r6[c], r7[c], r0[c + 1], r1[c + 1]) | (sixteenth >> 2 & 3) << 3;
                        words[at + 2 * L] = word(r2[c + 1], r3[c + 1], r4[c + 1], r5[c + 1], r6[c + 1])
                                | (sixteenth & 3) << 3;
                    }
                }
                MemorySegment.copy(words, 0, packed, LANE, (long) g * cols * COLUMN_BYTES, cols / 2 * 3 * L);
            }
        });
        return new Q6Matrix(packed, subScales, superScales, rows, cols);
    }

    /** The same weights over copies of the memory. */
    public Q6Matrix copy(Arena arena) {
        return new Q6Matrix(Q4Matrix.levelsMemory(arena, levels.byteSize()).copyFrom(levels),
                arena.allocate(subScales.byteSize(), 64).copyFrom(subScales),
                arena.allocate(superScales.byteSize(), 64).copyFrom(superScales), rows, cols);
    }

    @Override
    public long bytes() {
        return levels.byteSize() + subScales.byteSize() - SLACK + superScales.byteSize();
    }

    @Override
    public String format() {
        return "q6";
    }

    @Override
    public int blockWidth() {
        return SPAN;
    }

    @Override
    public int blocks() {
        return cols / SPAN;
    }

    /** u = q + 32 of (row, col), from its pair's words. */
    private int unsignedLevel(int row, int col) {
        int within = row % GROUP_ROWS, lane = within % L, i = col % 2 * 8 + within / L;
        long at = columnIndex(row / GROUP_ROWS, col - col % 2) * COLUMN_BYTES + 4L * lane;
        if (i < 15) {
            return Integer.rotateRight(levels.get(LANE, at + i / 5 * 4L * L), SLOT[i % 5]) & 0x3F;
        }
        int a = levels.get(LANE, at), b = levels.get(LANE, at + 4L * L), c = levels.get(LANE, at + 8L * L);
        return (a >> 3 & 3) << 4 | (b >> 3 & 3) << 2 | c >> 3 & 3;
    }

    /** The six-bit signed level q of (row, col). */
    public int sixBitLevel(int row, int col) {
        return unsignedLevel(row, col) - 32;
    }

    /** The int8 scale s of (row, col)'s 16 columns. */
    public int subScale(int row, int col) {
        long at = subScalesAt(row / GROUP_ROWS, col / SPAN, blocks()) + row % GROUP_ROWS;
        return subScales.get(ValueLayout.JAVA_BYTE, at);
    }

    /** Byte offset of (group, block)'s int8 scales, the group's 8·L rows in order, for {@code blocks} blocks a row. */
    private static long subScalesAt(int group, int block, int blocks) {
        return ((long) group * blocks + block) * GROUP_ROWS;
    }

    /**
     * Byte offset of the d · 2^40 floats of (group, block)'s super-block, the group's 8·L rows in order, for
     * {@code supers} super-blocks a row.
     */
    private static long superScalesAt(int group, int block, int supers) {
        return ((long) group * supers + block * SPAN / SUPER) * GROUP_ROWS * 4;
    }

    /** The fp16 d of (row, col)'s 256 columns, as a float. */
    public float superScale(int row, int col) {
        return superScaleTimesUnits(row, col) * UNIT;
    }

    private float superScaleTimesUnits(int row, int col) {
        long at = superScalesAt(row / GROUP_ROWS, col / SPAN, cols / SUPER) + 4L * (row % GROUP_ROWS);
        return superScales.get(FLOAT, at);
    }

    /** u · 2^-40, exact. */
    @Override
    public float value(int row, int col) {
        return unsignedLevel(row, col) * UNIT;
    }

    /** Level 0's value: 32 · 2^-40. */
    @Override
    public float valueOffset() {
        return 32 * UNIT;
    }

    /** d · s · 2^40: exact (d's 11 bits times s's 8). */
    @Override
    public float blockScale(int row, int block) {
        return subScale(row, block * SPAN) * superScaleTimesUnits(row, block * SPAN);
    }

    @Override
    public float[] blockScales(int group, int block, float[] dst) {
        long subAt = subScalesAt(group, block, blocks()), superAt = superScalesAt(group, block, cols / SUPER);
        for (int n = 0; n < 8; n++) {
            FloatVector s = (FloatVector) ByteVector.fromMemorySegment(B, subScales, subAt + (long) n * L,
                    ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2F, F, 0);
            s.mul(FloatVector.fromMemorySegment(F, superScales, superAt + 4L * n * L, ByteOrder.LITTLE_ENDIAN))
                    .intoArray(dst, n * L);
        }
        return dst;
    }

    /** Σ (d · s · q) · x in column order, each weight as Q6_K defines it: the twin. */
    @Override
    public float dotReference(int row, float[] x, int xOffset) {
        float sum = 0;
        for (int c = 0; c < cols; c++) {
            sum += superScale(row, c) * subScale(row, c) * sixBitLevel(row, c) * x[xOffset + c];
        }
        return sum;
    }

    @Override
    public void row(int row, float[] dst, int dstOffset) {
        for (int c = 0; c < cols; c++) {
            dst[dstOffset + c] = superScale(row, c) * subScale(row, c) * sixBitLevel(row, c);
        }
    }

    @Override
    public MemorySegment values() {
        return levels;
    }

    @Override
    public int columnBytes() {
        return COLUMN_BYTES;
    }

    @Override
    public boolean preparesInputs() {
        return true;
    }

    /** Each token's inputs three times, cols apart, scaled for the windows at bits 17, 11 and 5. */
    @Override
    public float[] streamedInputs(float[] x, int xOffset, int tokens) {
        float[] in = RowBuffers.atLeast(RowBuffers.STREAMED_INPUT, tokens * 3 * cols);
        for (int t = 0; t < tokens; t++) {
            if (!Q4Kernel.scaleInputs(x, xOffset + t * cols, cols, cols, INPUT_SCALES, in, t * 3 * cols)) {
                return null;
            }
        }
        return in;
    }

    @Override
    public int streamedInputsStride() {
        return 3 * cols;
    }

    /** The values (u · 2^-40) of the first {@code width} columns of (group, block); column k's at k·8·L. */
    @Override
    public void decodeBlock(int group, int block, int width, float[] decoded) {
        long at = columnIndex(group, block * SPAN) * COLUMN_BYTES;
        FloatVector w17 = FloatVector.broadcast(F, UNIT / (1 << 17)), w11 = FloatVector.broadcast(F, UNIT / (1 << 11));
        FloatVector w5 = FloatVector.broadcast(F, UNIT / (1 << 5));
        for (int k = 0, o = 0; k < width; k += 2, at += PAIR_BYTES, o += 2 * GROUP_ROWS) {
            IntVector a = IntVector.fromMemorySegment(I, levels, at, ByteOrder.LITTLE_ENDIAN);
            IntVector b = IntVector.fromMemorySegment(I, levels, at + 4L * L, ByteOrder.LITTLE_ENDIAN);
            IntVector c = IntVector.fromMemorySegment(I, levels, at + 8L * L, ByteOrder.LITTLE_ENDIAN);
            IntVector ra = a.lanewise(VectorOperators.ROR, 12), rb = b.lanewise(VectorOperators.ROR, 12);
            IntVector rc = c.lanewise(VectorOperators.ROR, 12);
            IntVector split = a.and(SPLIT).lanewise(VectorOperators.LSHL, 6).or(b.and(SPLIT).lanewise(VectorOperators.LSHL, 4))
                    .or(c.and(SPLIT).lanewise(VectorOperators.LSHL, 2));
            ((FloatVector) a.and(W17).convertShape(I2F, F, 0)).mul(w17).intoArray(decoded, o);
            ((FloatVector) a.and(W11).convertShape(I2F, F, 0)).mul(w11).intoArray(decoded, o + L);
            ((FloatVector) a.and(W5).convertShape(I2F, F, 0)).mul(w5).intoArray(decoded, o + 2 * L);
            ((FloatVector) ra.and(W11).convertShape(I2F, F, 0)).mul(w11).intoArray(decoded, o + 3 * L);
            ((FloatVector) ra.and(W17).convertShape(I2F, F, 0)).mul(w17).intoArray(decoded, o + 4 * L);
            ((FloatVector) b.and(W17).convertShape(I2F, F, 0)).mul(w17).intoArray(decoded, o + 5 * L);
            ((FloatVector) b.and(W11).convertShape(I2F, F, 0)).mul(w11).intoArray(decoded, o + 6 * L);
            ((FloatVector) b.and(W5).convertShape(I2F, F, 0)).mul(w5).intoArray(decoded, o + 7 * L);
            ((FloatVector) rb.and(W11).convertShape(I2F, F, 0)).mul(w11).intoArray(decoded, o + GROUP_ROWS);
            ((FloatVector) rb.and(W17).convertShape(I2F, F, 0)).mul(w17).intoArray(decoded, o + GROUP_ROWS + L);
            ((FloatVector) c.and(W17).convertShape(I2F, F, 0)).mul(w17).intoArray(decoded, o + GROUP_ROWS + 2 * L);
            ((FloatVector) c.and(W11).convertShape(I2F, F, 0)).mul(w11).intoArray(decoded, o + GROUP_ROWS + 3 * L);
            ((FloatVector) c.and(W5).convertShape(I2F, F, 0)).mul(w5).intoArray(decoded, o + GROUP_ROWS + 4 * L);
            ((FloatVector) rc.and(W11).convertShape(I2F, F, 0)).mul(w11).intoArray(decoded, o + GROUP_ROWS + 5 * L);
            ((FloatVector) rc.and(W17).convertShape(I2F, F, 0)).mul(w17).intoArray(decoded, o + GROUP_ROWS + 6 * L);
            ((FloatVector) split.convertShape(I2F, F, 0)).mul(w5).intoArray(decoded, o + GROUP_ROWS + 7 * L);
        }
    }

    /**
     * {@link RowPanels#blockStreamed}: a pair of columns a pass, three int loads and three rotations for its 16 level
     * vectors, each masked in its window and multiplied by the input scaled for that window. Written out: with the
     * subnormal-or-converted choice in a small helper method, the level vectors went to it boxed (3.6 against 29 G
     * weights a second).
     */
    @Override
    public void blockStreamed(int group, int block, float[] x, int xo, float start, float[] totals, int totalsAt,
                              float[] blockScales) {
        long at = columnIndex(group, block * SPAN) * COLUMN_BYTES, end = at + SPAN * COLUMN_BYTES;
        int x11 = cols, x5 = 2 * cols;
        FloatVector s0 = FloatVector.broadcast(F, start), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
        FloatVector p17, p11, p5, v;
        IntVector a, b, c, r, w;
        for (; at < end; at += PAIR_BYTES, xo += 2) {
            a = IntVector.fromMemorySegment(I, levels, at, ByteOrder.LITTLE_ENDIAN);
            b = IntVector.fromMemorySegment(I, levels, at + 4L * L, ByteOrder.LITTLE_ENDIAN);
            c = IntVector.fromMemorySegment(I, levels, at + 8L * L, ByteOrder.LITTLE_ENDIAN);
            p17 = FloatVector.broadcast(F, x[xo]);
            p11 = FloatVector.broadcast(F, x[xo + x11]);
            p5 = FloatVector.broadcast(F, x[xo + x5]);
            w = a.and(W17);
            v = Q4Kernel.SUBNORMAL ? w.reinterpretAsFloats() : (FloatVector) w.convertShape(I2F, F, 0);
            s0 = v.fma(p17, s0);
            w = a.and(W11);
            v = Q4Kernel.SUBNORMAL ? w.reinterpretAsFloats() : (FloatVector) w.convertShape(I2F, F, 0);
            s1 = v.fma(p11, s1);
            w = a.and(W5);
            v = Q4Kernel.SUBNORMAL ? w.reinterpretAsFloats() : (FloatVector) w.convertShape(I2F, F, 0);
            s2 = v.fma(p5, s2);
            r = a.lanewise(VectorOperators.ROR, 12);
            w = r.and(W11);
            v = Q4Kernel.SUBNORMAL ? w.reinterpretAsFloats() : (FloatVector) w.convertShape(I2F, F, 0);
            s3 = v.fma(p11, s3);
            w = r.and(W17);
            v = Q4Kernel.SUBNORMAL ? w.reinterpretAsFloats() : (FloatVector) w.convertShape(I2F, F, 0);
            s4 = v.fma(p17, s4);
            w = b.and(W17);
            v = Q4Kernel.SUBNORMAL ? w.reinterpretAsFloats() : (FloatVector) w.convertShape(I2F, F, 0);
            s5 = v.fma(p17, s5);
            w = b.and(W11);
            v = Q4Kernel.SUBNORMAL ? w.reinterpretAsFloats() : (FloatVector) w.convertShape(I2F, F, 0);
            s6 = v.fma(p11, s6);
            w = b.and(W5);
            v = Q4Kernel.SUBNORMAL ? w.reinterpretAsFloats() : (FloatVector) w.convertShape(I2F, F, 0);
            s7 = v.fma(p5, s7);
            // the pair's second column
            p17 = FloatVector.broadcast(F, x[xo + 1]);
            p11 = FloatVector.broadcast(F, x[xo + 1 + x11]);
            p5 = FloatVector.broadcast(F, x[xo + 1 + x5]);
            r = b.lanewise(VectorOperators.ROR, 12);
            w = r.and(W11);
            v = Q4Kernel.SUBNORMAL ? w.reinterpretAsFloats() : (FloatVector) w.convertShape(I2F, F, 0);
            s0 = v.fma(p11, s0);
            w = r.and(W17);
            v = Q4Kernel.SUBNORMAL ? w.reinterpretAsFloats() : (FloatVector) w.convertShape(I2F, F, 0);
            s1 = v.fma(p17, s1);
            w = c.and(W17);
            v = Q4Kernel.SUBNORMAL ? w.reinterpretAsFloats() : (FloatVector) w.convertShape(I2F, F, 0);
            s2 = v.fma(p17, s2);
            w = c.and(W11);
            v = Q4Kernel.SUBNORMAL ? w.reinterpretAsFloats() : (FloatVector) w.convertShape(I2F, F, 0);
            s3 = v.fma(p11, s3);
            w = c.and(W5);
            v = Q4Kernel.SUBNORMAL ? w.reinterpretAsFloats() : (FloatVector) w.convertShape(I2F, F, 0);
            s4 = v.fma(p5, s4);
            r = c.lanewise(VectorOperators.ROR, 12);
            w = r.and(W11);
            v = Q4Kernel.SUBNORMAL ? w.reinterpretAsFloats() : (FloatVector) w.convertShape(I2F, F, 0);
            s5 = v.fma(p11, s5);
            w = r.and(W17);
            v = Q4Kernel.SUBNORMAL ? w.reinterpretAsFloats() : (FloatVector) w.convertShape(I2F, F, 0);
            s6 = v.fma(p17, s6);
            w = a.and(SPLIT).lanewise(VectorOperators.LSHL, 6).or(b.and(SPLIT).lanewise(VectorOperators.LSHL, 4))
                    .or(c.and(SPLIT).lanewise(VectorOperators.LSHL, 2));
            v = Q4Kernel.SUBNORMAL ? w.reinterpretAsFloats() : (FloatVector) w.convertShape(I2F, F, 0);
            s7 = v.fma(p5, s7);
        }
        s0.fma(FloatVector.fromArray(F, blockScales, 0), FloatVector.fromArray(F, totals, totalsAt)).intoArray(totals, totalsAt);
        s1.fma(FloatVector.fromArray(F, blockScales, L), FloatVector.fromArray(F, totals, totalsAt + L)).intoArray(totals, totalsAt + L);
        s2.fma(FloatVector.fromArray(F, blockScales, 2 * L), FloatVector.fromArray(F, totals, totalsAt + 2 * L)).intoArray(totals, totalsAt + 2 * L);
        s3.fma(FloatVector.fromArray(F, blockScales, 3 * L), FloatVector.fromArray(F, totals, totalsAt + 3 * L)).intoArray(totals, totalsAt + 3 * L);
        s4.fma(FloatVector.fromArray(F, blockScales, 4 * L), FloatVector.fromArray(F, totals, totalsAt + 4 * L)).intoArray(totals, totalsAt + 4 * L);
        s5.fma(FloatVector.fromArray(F, blockScales, 5 * L), FloatVector.fromArray(F, totals, totalsAt + 5 * L)).intoArray(totals, totalsAt + 5 * L);
        s6.fma(FloatVector.fromArray(F, blockScales, 6 * L), FloatVector.fromArray(F, totals, totalsAt + 6 * L)).intoArray(totals, totalsAt + 6 * L);
        s7.fma(FloatVector.fromArray(F, blockScales, 7 * L), FloatVector.fromArray(F, totals, totalsAt + 7 * L)).intoArray(totals, totalsAt + 7 * L);
    }

    /**
     * No: a thread reads q6's levels faster one group at a time than two groups block by block (one thread, 32768 ×
     * 2048 from memory: 20–22 GB/s against 16–17 with both groups in one loop, and 15.7 one after the other), where
     * q4 gains from two (20–22 → 28–29 GB/s, same run). Measured, not understood.
     */
    @Override
    public boolean pairsGroups() {
        return false;
    }
}

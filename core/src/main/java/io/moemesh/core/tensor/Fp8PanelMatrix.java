package io.moemesh.core.tensor;

import io.moemesh.core.weights.FreshMemory;
import io.moemesh.core.weights.Numerics;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import static io.moemesh.core.tensor.QuantBlocks.B;
import static io.moemesh.core.tensor.QuantBlocks.BLOCK;
import static io.moemesh.core.tensor.QuantBlocks.F;

/**
 * An FP8 checkpoint's e4m3 weights (Qwen3-*-FP8) in our row panels ({@link RowPanels}), every byte and block scale
 * kept: {@code --weights auto}'s layout for them. A group's column is its 8·L rows' bytes in row order, as int8's
 * ({@link Int8Matrix}); each row has its float block scale per {@code blockCols} columns ({@code weight_scale_inv}).
 * Row by row ({@link Fp8BlockMatrix}, {@code stored}) the kernel widens a row into a buffer and then multiplies it.
 *
 * <p><b>A byte to a float in two operations.</b> An e4m3 byte is s·eeee·mmm (exponent bias 7). Sign-extended to an
 * int, shifted left by 20 and masked to bits 31 and 26..20, it is the float with sign s, exponent eeee and
 * mantissa mmm: the byte's value times 2^-120 exactly (bias 127 against 7; the byte's subnormals, eeee = 0, become
 * float subnormals, as exact). The kernels multiply it by the inputs scaled by 2^56 ({@link #streamedInputs}), so
 * each product is value · 2^-64 · x, what {@link #value} (the byte's value · 2^-64) times x gives; the block scale
 * holds the 2^64 ({@link #blockScale}). The many-token path decodes a block once to {@link #value}s (the float
 * times 2^56). No byte may be S.1111.111, e4m3's NaN, which this reads as 480: {@link #fits} checks.
 */
public record Fp8PanelMatrix(MemorySegment levels, MemorySegment scales, int rows, int cols, int blockCols)
        implements RowPanels {
    /** A byte vector may be wider than a panel (8 bytes for 4 floats of 128 bits): the last column's loads need room. */
    private static final int SLACK = 64;
    /** What one unit of {@link #value} is worth: the byte's value times this. */
    private static final float UNIT = 0x1p-64f;
    /** The inputs' scale: the masked bits (value · 2^-120) times x · 2^56 is value · 2^-64 · x. */
    private static final float[] INPUT_SCALE = {0x1p56f};
    /** After the shift by 20: the sign (bit 31, from the sign extension) and the byte's exponent and mantissa. */
    static final int FLOAT_BITS = 0x87F00000;
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /**
     * Whether the panels can hold {@code source} exactly: its scale blocks cover whole blocks of 32 columns (Qwen's
     * are 128 × 128), every scale times 2^64 is a finite float, and no byte is NaN.
     */
    public static boolean fits(Fp8BlockMatrix source) {
        if (source.blockCols() % BLOCK != 0) {
            return false;
        }
        for (float scale : source.scales()) {
            if (!Float.isFinite(scale / UNIT)) {
                return false;
            }
        }
        MemorySegment data = source.data();
        long bytes = data.byteSize(), at = 0;
        for (; at + 8 <= bytes; at += 8) {   // a byte is NaN when its low seven bits are all ones
            long low = data.get(ValueLayout.JAVA_LONG_UNALIGNED, at) & 0x7F7F7F7F7F7F7F7FL;
            if (((low + 0x0101010101010101L) & 0x8080808080808080L) != 0) {
                return false;
            }
        }
        for (; at < bytes; at++) {
            if ((data.get(ValueLayout.JAVA_BYTE, at) & 0x7F) == 0x7F) {
                return false;
            }
        }
        return true;
    }

    /** The same bytes and scales in this layout, every weight as the checkpoint has it, for a source that {@link #fits}. */
    public static Fp8PanelMatrix repack(Fp8BlockMatrix source, Arena arena) {
        if (source.blockCols() % BLOCK != 0) {   // the rest of fits is the caller's (a pass over every byte)
            throw new IllegalArgumentException("fp8 panels need scale blocks of whole 32 columns: " + source.format());
        }
        int rows = source.rows(), cols = source.cols(), groups = RowPanels.groups(rows);
        int width = QuantBlocks.blocks(cols) * BLOCK, scaleCols = source.scaleCols(), bc = source.blockCols();
        MemorySegment packed = FreshMemory.allocate(arena, (long) groups * width * GROUP_ROWS + SLACK, 64);
        MemorySegment scales = arena.allocate((long) groups * scaleCols * GROUP_ROWS * 4, 64);
        MemorySegment data = source.data();
        QuantBlocks.forRows(groups, packed, (firstGroup, endGroup) -> {
            for (int g = firstGroup; g < endGroup; g++) {
                for (int within = 0; within < GROUP_ROWS; within++) {
                    int r = g * GROUP_ROWS + within;
                    if (r >= rows) {
                        break;   // padding rows: zero bytes, zero scales
                    }
                    long at = (long) g * width * GROUP_ROWS + within;   // the group's first column, as columnAt
                    for (int c = 0; c < cols; c++, at += GROUP_ROWS) {
                        packed.set(ValueLayout.JAVA_BYTE, at, data.get(ValueLayout.JAVA_BYTE, (long) r * cols + c));
                    }
                    for (int s = 0; s < scaleCols; s++) {
                        float scale = source.scales()[r / source.blockRows() * scaleCols + s];
                        scales.set(FLOAT, scalesAt(g, s, scaleCols) + 4L * within, scale / UNIT);
                    }
                }
            }
        });
        return new Fp8PanelMatrix(packed, scales, rows, cols, bc);
    }

    /** The same weights over copies of the memory. */
    public Fp8PanelMatrix copy(Arena arena) {
        return new Fp8PanelMatrix(arena.allocate(levels.byteSize(), 64).copyFrom(levels),
                arena.allocate(scales.byteSize(), 64).copyFrom(scales), rows, cols, blockCols);
    }

    @Override
    public long bytes() {
        return levels.byteSize() - SLACK + scales.byteSize();
    }

    @Override
    public String format() {
        return "fp8";
    }

    private int scaleCols() {
        return (cols + blockCols - 1) / blockCols;
    }

    /** Byte offset of column {@code col}'s bytes in group {@code group}: the group's rows in order, as int8's. */
    private long columnAt(int group, int col) {
        return columnIndex(group, col) * GROUP_ROWS;
    }

    /** Byte offset of the scales (times 2^64) of the group's rows for scale column {@code s}. */
    private static long scalesAt(int group, int s, int scaleCols) {
        return ((long) group * scaleCols + s) * GROUP_ROWS * 4;
    }

    private byte level(int row, int col) {
        return levels.get(ValueLayout.JAVA_BYTE, columnAt(row / GROUP_ROWS, col) + row % GROUP_ROWS);
    }

    /** The checkpoint's weight: e4m3 value times its block's scale. */
    private float weight(int row, int col) {
        return Numerics.e4m3ToFloat(level(row, col)) * (blockScale(row, col / BLOCK) * UNIT);
    }

    /** The byte's value times 2^-64, exact. */
    @Override
    public float value(int row, int col) {
        return Numerics.e4m3ToFloat(level(row, col)) * UNIT;
    }

    /** The block scale times 2^64, exact. */
    @Override
    public float blockScale(int row, int block) {
        long at = scalesAt(row / GROUP_ROWS, block * BLOCK / blockCols, scaleCols()) + 4L * (row % GROUP_ROWS);
        return scales.get(FLOAT, at);
    }

    @Override
    public float[] blockScales(int group, int block, float[] dst) {
        MemorySegment.copy(scales, FLOAT, scalesAt(group, block * BLOCK / blockCols, scaleCols()), dst, 0, GROUP_ROWS);
        return dst;
    }

    /** Σ (e4m3 · scale) · x in column order, each weight as the checkpoint defines it: the twin. */
    @Override
    public float dotReference(int row, float[] x, int xOffset) {
        float sum = 0;
        for (int c = 0; c < cols; c++) {
            sum += weight(row, c) * x[xOffset + c];
        }
        return sum;
    }

    @Override
    public void row(int row, float[] dst, int dstOffset) {
        for (int c = 0; c < cols; c++) {
            dst[dstOffset + c] = weight(row, c);
        }
    }

    @Override
    public MemorySegment values() {
        return levels;
    }

    @Override
    public int columnBytes() {
        return GROUP_ROWS;
    }

    @Override
    public boolean preparesInputs() {
        return true;
    }

    /** Each token's inputs times 2^56, whole blocks apart (zero-padded). */
    @Override
    public float[] streamedInputs(float[] x, int xOffset, int tokens) {
        int width = streamedInputsStride();
        float[] in = RowBuffers.atLeast(RowBuffers.STREAMED_INPUT, tokens * width);
        for (int t = 0; t < tokens; t++) {
            if (!Q4Kernel.scaleInputs(x, xOffset + t * cols, cols, width, INPUT_SCALE, in, t * width)) {
                return null;
            }
        }
        return in;
    }

    @Override
    public int streamedInputsStride() {
        return blocks() * BLOCK;
    }

    @Override
    public void decodeBlock(int group, int block, int width, float[] decoded) {
        long at = columnAt(group, block * BLOCK);
        for (int k = 0; k < width; k++, at += GROUP_ROWS) {
            for (int n = 0; n < 8; n++) {
                ((IntVector) ByteVector.fromMemorySegment(B, levels, at + n * L, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.B2I, I, 0)).lanewise(VectorOperators.LSHL, 20).and(FLOAT_BITS)
                        .reinterpretAsFloats().mul(0x1p56f).intoArray(decoded, k * GROUP_ROWS + n * L);
            }
        }
    }

    /**
     * {@link RowPanels#blockStreamed}: each column is eight loads of L bytes, each made L floats by a shift and a
     * mask, and one broadcast input for the eight fused multiply-adds. Written out: through a small method returning
     * the floats it ran at 7 GB/s against int8's 26 (one thread, bench kernels 30B expert).
     */
    @Override
    public void blockStreamed(int group, int block, float[] x, int xo, float start, float[] totals, int totalsAt,
                              float[] blockScales) {
        long at = columnAt(group, block * BLOCK), end = at + (long) BLOCK * GROUP_ROWS;
        FloatVector s0 = FloatVector.broadcast(F, start), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
        FloatVector xk;
        for (; at < end; at += GROUP_ROWS, xo++) {
            xk = FloatVector.broadcast(F, x[xo]);
            s0 = ((IntVector) ByteVector.fromMemorySegment(B, levels, at, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2I, I, 0)).lanewise(VectorOperators.LSHL, 20).and(FLOAT_BITS)
                    .reinterpretAsFloats().fma(xk, s0);
            s1 = ((IntVector) ByteVector.fromMemorySegment(B, levels, at + L, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2I, I, 0)).lanewise(VectorOperators.LSHL, 20).and(FLOAT_BITS)
                    .reinterpretAsFloats().fma(xk, s1);
            s2 = ((IntVector) ByteVector.fromMemorySegment(B, levels, at + 2 * L, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2I, I, 0)).lanewise(VectorOperators.LSHL, 20).and(FLOAT_BITS)
                    .reinterpretAsFloats().fma(xk, s2);
            s3 = ((IntVector) ByteVector.fromMemorySegment(B, levels, at + 3 * L, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2I, I, 0)).lanewise(VectorOperators.LSHL, 20).and(FLOAT_BITS)
                    .reinterpretAsFloats().fma(xk, s3);
            s4 = ((IntVector) ByteVector.fromMemorySegment(B, levels, at + 4 * L, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2I, I, 0)).lanewise(VectorOperators.LSHL, 20).and(FLOAT_BITS)
                    .reinterpretAsFloats().fma(xk, s4);
            s5 = ((IntVector) ByteVector.fromMemorySegment(B, levels, at + 5 * L, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2I, I, 0)).lanewise(VectorOperators.LSHL, 20).and(FLOAT_BITS)
                    .reinterpretAsFloats().fma(xk, s5);
            s6 = ((IntVector) ByteVector.fromMemorySegment(B, levels, at + 6 * L, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2I, I, 0)).lanewise(VectorOperators.LSHL, 20).and(FLOAT_BITS)
                    .reinterpretAsFloats().fma(xk, s6);
            s7 = ((IntVector) ByteVector.fromMemorySegment(B, levels, at + 7 * L, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2I, I, 0)).lanewise(VectorOperators.LSHL, 20).and(FLOAT_BITS)
                    .reinterpretAsFloats().fma(xk, s7);
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
     * No. int8 gained 5–15% at batch 1 from a two-group kernel ({@link RowPanels#blockStreamedPair}); fp8's, written
     * the same way, measured no gain in two A/B rounds (bench kernels, batch 1, 30B and 235B experts: fp8 over int8
     * in the same run 0.60–0.96 with it and 0.86–1.32 without at one thread, 1.03–1.10 and 1.05–1.11 at two).
     */
    @Override
    public boolean pairsGroups() {
        return false;
    }
}

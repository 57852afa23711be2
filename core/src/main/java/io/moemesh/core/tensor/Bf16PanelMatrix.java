package io.moemesh.core.tensor;

import io.moemesh.core.weights.FreshMemory;
import io.moemesh.core.weights.Numerics;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.Arrays;

import static io.moemesh.core.tensor.QuantBlocks.BLOCK;
import static io.moemesh.core.tensor.QuantBlocks.F;

/**
 * bf16 weights in row panels ({@code --weights bf16}): the checkpoint's bf16 values, each exactly as stored,
 * interleaved for the kernels ({@link RowPanels}): a group's column is its 8·L rows' values in row order, 2 bytes
 * each. Weights stored in another format (fp8 blocks, f16, f32) are rounded to bf16 (to nearest, ties to even).
 * Against the checkpoint's own row-major layout ({@code --weights stored}, {@link Bf16Matrix}) the same bytes are read
 * per token, and the many-token kernels share each loaded value between four tokens.
 */
public record Bf16PanelMatrix(MemorySegment data, int rows, int cols) implements RowPanels {
    /** Bytes of one panel's column: L values. */
    private static final int PANEL_BYTES = 2 * L;
    /** Bytes of one column of a group. */
    private static final int COLUMN_BYTES = 8 * PANEL_BYTES;
    /** bf16 has no scales: every block sum is multiplied by 1, which is exact. */
    private static final float[] ONES = ones();

    private static float[] ones() {
        float[] ones = new float[GROUP_ROWS];
        Arrays.fill(ones, 1f);
        return ones;
    }

    /** The same weights over copies of the memory. */
    public Bf16PanelMatrix copy(Arena arena) {
        return new Bf16PanelMatrix(arena.allocate(data.byteSize(), 64).copyFrom(data), rows, cols);
    }

    /** {@code source}'s weights as bf16 in panels: exact for bf16 sources. */
    public static Bf16PanelMatrix of(Matrix source, Arena arena) {
        int rows = source.rows(), cols = source.cols(), blocks = QuantBlocks.blocks(cols);
        int groups = RowPanels.groups(rows), width = blocks * BLOCK;
        MemorySegment data = FreshMemory.allocate(arena, (long) groups * width * COLUMN_BYTES, 64);   // zeroed: padding is 0
        QuantBlocks.forRows(groups, data, (firstGroup, endGroup) -> {
            float[][] values = new float[GROUP_ROWS][width];
            short[] column = new short[width * GROUP_ROWS];
            for (int g = firstGroup; g < endGroup; g++) {
                for (int within = 0; within < GROUP_ROWS; within++) {
                    int r = g * GROUP_ROWS + within;
                    Arrays.fill(values[within], 0f);
                    if (r < rows) {
                        source.row(r, values[within], 0);
                    }
                }
                // transposed row by row into a buffer, then one bulk copy (as Q4Matrix.pack, which says why)
                for (int within = 0; within < GROUP_ROWS; within++) {
                    float[] row = values[within];
                    for (int c = 0; c < width; c++) {
                        column[c * GROUP_ROWS + within] = Numerics.floatToBf16(row[c]);
                    }
                }
                MemorySegment.copy(column, 0, data, Numerics.I16, (long) g * width * COLUMN_BYTES, column.length);
            }
        });
        return new Bf16PanelMatrix(data, rows, cols);
    }

    @Override
    public long bytes() {
        return data.byteSize();
    }

    @Override
    public String format() {
        return "bf16";
    }

    /** Byte offset of column {@code col}'s values in group {@code group}: the group's rows in order. */
    private long columnAt(int group, int col) {
        return columnIndex(group, col) * COLUMN_BYTES;
    }

    @Override
    public float value(int row, int col) {
        return Numerics.bf16ToFloat(data.get(Numerics.I16, columnAt(row / GROUP_ROWS, col) + 2L * (row % GROUP_ROWS)));
    }

    @Override
    public float blockScale(int row, int block) {
        return 1f;
    }

    @Override
    public float[] blockScales(int group, int block, float[] dst) {
        return ONES;
    }

    /** Σ w·x in column order, in plain scalar Java: the reference the kernels are tested against. */
    @Override
    public float dotReference(int row, float[] x, int xOffset) {
        float sum = 0;
        for (int c = 0; c < cols; c++) {
            sum += value(row, c) * x[xOffset + c];
        }
        return sum;
    }

    @Override
    public void row(int row, float[] dst, int dstOffset) {
        for (int c = 0; c < cols; c++) {
            dst[dstOffset + c] = value(row, c);
        }
    }

    @Override
    public MemorySegment values() {
        return data;
    }

    @Override
    public int columnBytes() {
        return COLUMN_BYTES;
    }

    @Override
    public void decodeBlock(int group, int block, int width, float[] decoded) {
        long at = columnAt(group, block * BLOCK);
        for (int k = 0; k < width; k++, at += COLUMN_BYTES) {
            for (int n = 0; n < 8; n++) {
                ((IntVector) ShortVector.fromMemorySegment(S, data, at + (long) n * PANEL_BYTES, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats()
                        .intoArray(decoded, k * GROUP_ROWS + n * L);
            }
        }
    }

    /**
     * {@link RowPanels#blockStreamed}: each column is eight loads of L bf16 values, each widened to L floats (a
     * bf16 is the top half of a float: widen, shift left 16), and one broadcast input value for the eight fused
     * multiply-adds. Two columns a pass, written out, as q4's ({@link Q4Matrix#blockStreamed}).
     */
    @Override
    public void blockStreamed(int group, int block, float[] x, int xo, float start, float[] totals,
                              int totalsAt, float[] blockScales) {
        long at = columnAt(group, block * BLOCK), end = at + (long) BLOCK * COLUMN_BYTES;
        FloatVector s0 = FloatVector.broadcast(F, start), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
        FloatVector xk;
        for (; at < end; at += 2 * COLUMN_BYTES, xo += 2) {
            xk = FloatVector.broadcast(F, x[xo]);
            s0 = ((IntVector) ShortVector.fromMemorySegment(S, data, at, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(xk, s0);
            s1 = ((IntVector) ShortVector.fromMemorySegment(S, data, at + PANEL_BYTES, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(xk, s1);
            s2 = ((IntVector) ShortVector.fromMemorySegment(S, data, at + 2 * PANEL_BYTES, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(xk, s2);
            s3 = ((IntVector) ShortVector.fromMemorySegment(S, data, at + 3 * PANEL_BYTES, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(xk, s3);
            s4 = ((IntVector) ShortVector.fromMemorySegment(S, data, at + 4 * PANEL_BYTES, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(xk, s4);
            s5 = ((IntVector) ShortVector.fromMemorySegment(S, data, at + 5 * PANEL_BYTES, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(xk, s5);
            s6 = ((IntVector) ShortVector.fromMemorySegment(S, data, at + 6 * PANEL_BYTES, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(xk, s6);
            s7 = ((IntVector) ShortVector.fromMemorySegment(S, data, at + 7 * PANEL_BYTES, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(xk, s7);
            xk = FloatVector.broadcast(F, x[xo + 1]);
            s0 = ((IntVector) ShortVector.fromMemorySegment(S, data, at + COLUMN_BYTES, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(xk, s0);
            s1 = ((IntVector) ShortVector.fromMemorySegment(S, data, at + COLUMN_BYTES + PANEL_BYTES, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(xk, s1);
            s2 = ((IntVector) ShortVector.fromMemorySegment(S, data, at + COLUMN_BYTES + 2 * PANEL_BYTES, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(xk, s2);
            s3 = ((IntVector) ShortVector.fromMemorySegment(S, data, at + COLUMN_BYTES + 3 * PANEL_BYTES, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(xk, s3);
            s4 = ((IntVector) ShortVector.fromMemorySegment(S, data, at + COLUMN_BYTES + 4 * PANEL_BYTES, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(xk, s4);
            s5 = ((IntVector) ShortVector.fromMemorySegment(S, data, at + COLUMN_BYTES + 5 * PANEL_BYTES, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(xk, s5);
            s6 = ((IntVector) ShortVector.fromMemorySegment(S, data, at + COLUMN_BYTES + 6 * PANEL_BYTES, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(xk, s6);
            s7 = ((IntVector) ShortVector.fromMemorySegment(S, data, at + COLUMN_BYTES + 7 * PANEL_BYTES, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(xk, s7);
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

    /** {@link RowPanels#blockStreamedTwo}: each column's eight panels widened once for both tokens. */
    @Override
    public void blockStreamedTwo(int group, int block, float[] x, int xa, int xb, float startA, float startB,
                                 float[] totals, int totalsAt, float[] blockScales) {
        long at = columnAt(group, block * BLOCK), end = at + (long) BLOCK * COLUMN_BYTES;
        FloatVector a0 = FloatVector.broadcast(F, startA), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        FloatVector b0 = FloatVector.broadcast(F, startB), b1 = b0, b2 = b0, b3 = b0, b4 = b0, b5 = b0, b6 = b0, b7 = b0;
        FloatVector va, vb, v;
        for (; at < end; at += COLUMN_BYTES, xa++, xb++) {
            va = FloatVector.broadcast(F, x[xa]);
            vb = FloatVector.broadcast(F, x[xb]);
            v = ((IntVector) ShortVector.fromMemorySegment(S, data, at, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            a0 = v.fma(va, a0);
            b0 = v.fma(vb, b0);
            v = ((IntVector) ShortVector.fromMemorySegment(S, data, at + PANEL_BYTES, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            a1 = v.fma(va, a1);
            b1 = v.fma(vb, b1);
            v = ((IntVector) ShortVector.fromMemorySegment(S, data, at + 2 * PANEL_BYTES, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            a2 = v.fma(va, a2);
            b2 = v.fma(vb, b2);
            v = ((IntVector) ShortVector.fromMemorySegment(S, data, at + 3 * PANEL_BYTES, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            a3 = v.fma(va, a3);
            b3 = v.fma(vb, b3);
            v = ((IntVector) ShortVector.fromMemorySegment(S, data, at + 4 * PANEL_BYTES, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            a4 = v.fma(va, a4);
            b4 = v.fma(vb, b4);
            v = ((IntVector) ShortVector.fromMemorySegment(S, data, at + 5 * PANEL_BYTES, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            a5 = v.fma(va, a5);
            b5 = v.fma(vb, b5);
            v = ((IntVector) ShortVector.fromMemorySegment(S, data, at + 6 * PANEL_BYTES, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            a6 = v.fma(va, a6);
            b6 = v.fma(vb, b6);
            v = ((IntVector) ShortVector.fromMemorySegment(S, data, at + 7 * PANEL_BYTES, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            a7 = v.fma(va, a7);
            b7 = v.fma(vb, b7);
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

    /** {@link RowPanels#blockStreamedPair}: two groups' columns side by side, one column a pass. */
    @Override
    public void blockStreamedPair(int groupA, int groupB, int block, float[] x, int xo, float start, float[] totals,
                                  float[] scalesA, float[] scalesB) {
        long atA = columnAt(groupA, block * BLOCK), atB = columnAt(groupB, block * BLOCK);
        long end = atA + (long) BLOCK * COLUMN_BYTES;
        FloatVector a0 = FloatVector.broadcast(F, start), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        FloatVector b0 = a0, b1 = a0, b2 = a0, b3 = a0, b4 = a0, b5 = a0, b6 = a0, b7 = a0;
        FloatVector xk;
        for (; atA < end; atA += COLUMN_BYTES, atB += COLUMN_BYTES, xo++) {
            xk = FloatVector.broadcast(F, x[xo]);
            a0 = ((IntVector) ShortVector.fromMemorySegment(S, data, atA, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(xk, a0);
            a1 = ((IntVector) ShortVector.fromMemorySegment(S, data, atA + PANEL_BYTES, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(xk, a1);
            a2 = ((IntVector) ShortVector.fromMemorySegment(S, data, atA + 2 * PANEL_BYTES, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(xk, a2);
            a3 = ((IntVector) ShortVector.fromMemorySegment(S, data, atA + 3 * PANEL_BYTES, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(xk, a3);
            a4 = ((IntVector) ShortVector.fromMemorySegment(S, data, atA + 4 * PANEL_BYTES, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(xk, a4);
            a5 = ((IntVector) ShortVector.fromMemorySegment(S, data, atA + 5 * PANEL_BYTES, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(xk, a5);
            a6 = ((IntVector) ShortVector.fromMemorySegment(S, data, atA + 6 * PANEL_BYTES, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(xk, a6);
            a7 = ((IntVector) ShortVector.fromMemorySegment(S, data, atA + 7 * PANEL_BYTES, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(xk, a7);
            b0 = ((IntVector) ShortVector.fromMemorySegment(S, data, atB, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(xk, b0);
            b1 = ((IntVector) ShortVector.fromMemorySegment(S, data, atB + PANEL_BYTES, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(xk, b1);
            b2 = ((IntVector) ShortVector.fromMemorySegment(S, data, atB + 2 * PANEL_BYTES, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(xk, b2);
            b3 = ((IntVector) ShortVector.fromMemorySegment(S, data, atB + 3 * PANEL_BYTES, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(xk, b3);
            b4 = ((IntVector) ShortVector.fromMemorySegment(S, data, atB + 4 * PANEL_BYTES, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(xk, b4);
            b5 = ((IntVector) ShortVector.fromMemorySegment(S, data, atB + 5 * PANEL_BYTES, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(xk, b5);
            b6 = ((IntVector) ShortVector.fromMemorySegment(S, data, atB + 6 * PANEL_BYTES, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(xk, b6);
            b7 = ((IntVector) ShortVector.fromMemorySegment(S, data, atB + 7 * PANEL_BYTES, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(xk, b7);
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
     * bf16 converts as it multiplies for the first four tokens of a batch. A block decoded before the multiply-adds
     * ({@link #decodeBlock}) reads its 8 KB in one burst of loads, with few operations between them for the core to
     * run ahead; the multiply-adds then wait on memory, and memory then waits on them: bench kernels bf16 at batch 8
     * ran at 0.45 of its speed with the weights in cache. Converting inside the four-token kernel spreads the loads
     * among the multiply-adds, and storing the converted vectors saves the batch's other tokens a second conversion.
     * 30B expert from memory, A/B twice: batch 8 70 → 82 GFLOP/s at one thread and 139 → 145–153 at two, batch 16
     * 96–102 → 117–124 and 187–198 → 223, batch 32 137–140 → 157–161 and 255–273 → 299–317, batch 128 unchanged;
     * prefill 263–266 → 268–271 tokens/s (bench decode, two threads). int8, half the bytes a column, measured no
     * gain from the same kernel (batch 8 and 16 unchanged, 32 2–7% slower).
     */
    @Override
    public boolean streamsFourTokens() {
        return true;
    }

    /** {@link RowPanels#blockStreamedFour}: four tokens by four panels, each panel's vector converted once for all. */
    @Override
    public void blockStreamedFour(int group, int block, int width, int first, float[] x, int xa, int stride,
                                  float[] starts, int sa, int startStride, float[] totals, int at, float[] blockScales,
                                  float[] decoded) {
        FloatVector a0 = FloatVector.broadcast(F, starts[sa]), a1 = a0, a2 = a0, a3 = a0;
        FloatVector b0 = FloatVector.broadcast(F, starts[sa + startStride]), b1 = b0, b2 = b0, b3 = b0;
        FloatVector c0 = FloatVector.broadcast(F, starts[sa + 2 * startStride]), c1 = c0, c2 = c0, c3 = c0;
        FloatVector d0 = FloatVector.broadcast(F, starts[sa + 3 * startStride]), d1 = d0, d2 = d0, d3 = d0;
        int xb = xa + stride, xc = xb + stride, xd = xc + stride;
        long col = columnAt(group, block * BLOCK) + (long) first * PANEL_BYTES;
        for (int k = 0; k < width; k++, col += COLUMN_BYTES) {
            FloatVector va = FloatVector.broadcast(F, x[xa + k]), vb = FloatVector.broadcast(F, x[xb + k]);
            FloatVector vc = FloatVector.broadcast(F, x[xc + k]), vd = FloatVector.broadcast(F, x[xd + k]);
            FloatVector l;
            int o = k * GROUP_ROWS + first * L;
            l = ((IntVector) ShortVector.fromMemorySegment(S, data, col, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            l.intoArray(decoded, o);
            a0 = l.fma(va, a0);
            b0 = l.fma(vb, b0);
            c0 = l.fma(vc, c0);
            d0 = l.fma(vd, d0);
            l = ((IntVector) ShortVector.fromMemorySegment(S, data, col + PANEL_BYTES, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            l.intoArray(decoded, o + L);
            a1 = l.fma(va, a1);
            b1 = l.fma(vb, b1);
            c1 = l.fma(vc, c1);
            d1 = l.fma(vd, d1);
            l = ((IntVector) ShortVector.fromMemorySegment(S, data, col + 2 * PANEL_BYTES, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            l.intoArray(decoded, o + 2 * L);
            a2 = l.fma(va, a2);
            b2 = l.fma(vb, b2);
            c2 = l.fma(vc, c2);
            d2 = l.fma(vd, d2);
            l = ((IntVector) ShortVector.fromMemorySegment(S, data, col + 3 * PANEL_BYTES, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            l.intoArray(decoded, o + 3 * L);
            a3 = l.fma(va, a3);
            b3 = l.fma(vb, b3);
            c3 = l.fma(vc, c3);
            d3 = l.fma(vd, d3);
        }
        FloatVector s;
        int p = first * L;
        s = FloatVector.fromArray(F, blockScales, p);
        a0.fma(s, FloatVector.fromArray(F, totals, at + p)).intoArray(totals, at + p);
        b0.fma(s, FloatVector.fromArray(F, totals, at + GROUP_ROWS + p)).intoArray(totals, at + GROUP_ROWS + p);
        c0.fma(s, FloatVector.fromArray(F, totals, at + 2 * GROUP_ROWS + p)).intoArray(totals, at + 2 * GROUP_ROWS + p);
        d0.fma(s, FloatVector.fromArray(F, totals, at + 3 * GROUP_ROWS + p)).intoArray(totals, at + 3 * GROUP_ROWS + p);
        s = FloatVector.fromArray(F, blockScales, p + L);
        a1.fma(s, FloatVector.fromArray(F, totals, at + p + L)).intoArray(totals, at + p + L);
        b1.fma(s, FloatVector.fromArray(F, totals, at + GROUP_ROWS + p + L)).intoArray(totals, at + GROUP_ROWS + p + L);
        c1.fma(s, FloatVector.fromArray(F, totals, at + 2 * GROUP_ROWS + p + L)).intoArray(totals, at + 2 * GROUP_ROWS + p + L);
        d1.fma(s, FloatVector.fromArray(F, totals, at + 3 * GROUP_ROWS + p + L)).intoArray(totals, at + 3 * GROUP_ROWS + p + L);
        s = FloatVector.fromArray(F, blockScales, p + 2 * L);
        a2.fma(s, FloatVector.fromArray(F, totals, at + p + 2 * L)).intoArray(totals, at + p + 2 * L);
        b2.fma(s, FloatVector.fromArray(F, totals, at + GROUP_ROWS + p + 2 * L)).intoArray(totals, at + GROUP_ROWS + p + 2 * L);
        c2.fma(s, FloatVector.fromArray(F, totals, at + 2 * GROUP_ROWS + p + 2 * L)).intoArray(totals, at + 2 * GROUP_ROWS + p + 2 * L);
        d2.fma(s, FloatVector.fromArray(F, totals, at + 3 * GROUP_ROWS + p + 2 * L)).intoArray(totals, at + 3 * GROUP_ROWS + p + 2 * L);
        s = FloatVector.fromArray(F, blockScales, p + 3 * L);
        a3.fma(s, FloatVector.fromArray(F, totals, at + p + 3 * L)).intoArray(totals, at + p + 3 * L);
        b3.fma(s, FloatVector.fromArray(F, totals, at + GROUP_ROWS + p + 3 * L)).intoArray(totals, at + GROUP_ROWS + p + 3 * L);
        c3.fma(s, FloatVector.fromArray(F, totals, at + 2 * GROUP_ROWS + p + 3 * L)).intoArray(totals, at + 2 * GROUP_ROWS + p + 3 * L);
        d3.fma(s, FloatVector.fromArray(F, totals, at + 3 * GROUP_ROWS + p + 3 * L)).intoArray(totals, at + 3 * GROUP_ROWS + p + 3 * L);
    }
}

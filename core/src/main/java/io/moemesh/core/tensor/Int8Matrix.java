package io.moemesh.core.tensor;

import io.moemesh.core.weights.FreshMemory;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.function.Supplier;

import static io.moemesh.core.tensor.QuantBlocks.B;
import static io.moemesh.core.tensor.QuantBlocks.BLOCK;
import static io.moemesh.core.tensor.QuantBlocks.F;

/**
 * Our int8 weights ({@code --weights int8}): w = q · scale with q ∈ [-127, 127] and scale = max|w| / 127 of the
 * row's block of 32 columns (fp16, rounded up), as llama.cpp's Q8_0 — but with rows interleaved in panels
 * ({@link RowPanels}): a group's column is its 8·L rows' bytes in row order, so panel n is the L bytes at n·L,
 * widened to floats as they are loaded. 34 bytes per 32 weights, as Q8_0: about half of bf16's traffic, error
 * ≤ scale / 2. GGUF's Q8_0 blocks ({@link Q8Matrix}) repack into it without loss.
 */
public record Int8Matrix(MemorySegment levels, MemorySegment scales, int rows, int cols) implements ScaledPanels {
    /** A byte vector may be wider than a panel (two panels with 128-bit floats): the last column's loads need room. */
    private static final int SLACK = 64;

    /** The same weights over copies of the memory. */
    public Int8Matrix copy(Arena arena) {
        return new Int8Matrix(arena.allocate(levels.byteSize(), 64).copyFrom(levels),
                arena.allocate(scales.byteSize(), 64).copyFrom(scales), rows, cols);
    }

    /** Per block: scale = max|w| / 127 rounded up to an fp16, level = w / scale rounded. */
    public static Int8Matrix quantize(Matrix source, Arena arena) {
        return pack(source.rows(), source.cols(), arena, ScaledPanels.quantizing(source, new BlockRule() {
            @Override
            public short scale(float[] w, int from, int to) {
                float max = 0;
                for (int c = from; c < to; c++) {
                    max = Math.max(max, Math.abs(w[c]));
                }
                return QuantBlocks.fp16AtLeast(max / 127);
            }

            @Override
            public int level(float w, float scale) {
                return scale == 0 ? 0 : Math.clamp(Math.round(w / scale), -127, 127);
            }
        }));
    }

    /** The same levels and scales in this layout: exact, for Q8_0 blocks read from a GGUF file. */
    public static Int8Matrix repack(Q8Matrix source, Arena arena) {
        return pack(source.rows(), source.cols(), arena, ScaledPanels.exactly(source));
    }

    /** A group's column is its rows' bytes in order. */
    static Int8Matrix pack(int rows, int cols, Arena arena, Supplier<RowLevels> perThread) {
        int width = QuantBlocks.blocks(cols) * BLOCK;
        MemorySegment packed = FreshMemory.allocate(arena, (long) RowPanels.groups(rows) * width * GROUP_ROWS + SLACK, 64);
        MemorySegment scales = ScaledPanels.pack(rows, cols, packed, arena, perThread, (g, levels, out) -> {
            // transposed row by row into a buffer, then one bulk copy (as Q4Matrix.pack, which says why)
            byte[] column = RowBuffers.packedBytes(width * GROUP_ROWS);
            for (int within = 0; within < GROUP_ROWS; within++) {
                byte[] row = levels[within];
                for (int c = 0; c < width; c++) {
                    column[c * GROUP_ROWS + within] = row[c];
                }
            }
            MemorySegment.copy(column, 0, out, ValueLayout.JAVA_BYTE, (long) g * width * GROUP_ROWS, width * GROUP_ROWS);
        });
        return new Int8Matrix(packed, scales, rows, cols);
    }

    @Override
    public long bytes() {
        return levels.byteSize() - SLACK + scales.byteSize();
    }

    @Override
    public String format() {
        return "int8";
    }

    /** Byte offset of column {@code col}'s levels in group {@code group}: the group's rows in order. */
    private long columnAt(int group, int col) {
        return columnIndex(group, col) * GROUP_ROWS;
    }

    @Override
    public int level(int row, int col) {
        return levels.get(ValueLayout.JAVA_BYTE, columnAt(row / GROUP_ROWS, col) + row % GROUP_ROWS);
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
    public void decodeBlock(int group, int block, int width, float[] decoded) {
        long at = columnAt(group, block * BLOCK);
        for (int k = 0; k < width; k++, at += GROUP_ROWS) {
            for (int n = 0; n < 8; n++) {
                ((FloatVector) ByteVector.fromMemorySegment(B, levels, at + n * L, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.B2F, F, 0)).intoArray(decoded, k * GROUP_ROWS + n * L);
            }
        }
    }

    /**
     * {@link RowPanels#blockStreamed}: each column is eight loads of L bytes, each widened to L floats as it is
     * loaded, and one broadcast input value for the eight fused multiply-adds. Two columns a pass, written out, as
     * q4's ({@link Q4Matrix#blockStreamed}).
     */
    @Override
    public void blockStreamed(int group, int block, float[] x, int xo, float start, float[] totals,
                              int totalsAt, float[] blockScales) {
        long at = columnAt(group, block * BLOCK), end = at + (long) BLOCK * GROUP_ROWS;
        FloatVector s0 = FloatVector.broadcast(F, start), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
        FloatVector xk;
        for (; at < end; at += 2 * GROUP_ROWS, xo += 2) {
            xk = FloatVector.broadcast(F, x[xo]);
            s0 = ((FloatVector) ByteVector.fromMemorySegment(B, levels, at, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2F, F, 0)).fma(xk, s0);
            s1 = ((FloatVector) ByteVector.fromMemorySegment(B, levels, at + L, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2F, F, 0)).fma(xk, s1);
            s2 = ((FloatVector) ByteVector.fromMemorySegment(B, levels, at + 2 * L, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2F, F, 0)).fma(xk, s2);
            s3 = ((FloatVector) ByteVector.fromMemorySegment(B, levels, at + 3 * L, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2F, F, 0)).fma(xk, s3);
            s4 = ((FloatVector) ByteVector.fromMemorySegment(B, levels, at + 4 * L, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2F, F, 0)).fma(xk, s4);
            s5 = ((FloatVector) ByteVector.fromMemorySegment(B, levels, at + 5 * L, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2F, F, 0)).fma(xk, s5);
            s6 = ((FloatVector) ByteVector.fromMemorySegment(B, levels, at + 6 * L, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2F, F, 0)).fma(xk, s6);
            s7 = ((FloatVector) ByteVector.fromMemorySegment(B, levels, at + 7 * L, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2F, F, 0)).fma(xk, s7);
            xk = FloatVector.broadcast(F, x[xo + 1]);
            s0 = ((FloatVector) ByteVector.fromMemorySegment(B, levels, at + GROUP_ROWS, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2F, F, 0)).fma(xk, s0);
            s1 = ((FloatVector) ByteVector.fromMemorySegment(B, levels, at + GROUP_ROWS + L, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2F, F, 0)).fma(xk, s1);
            s2 = ((FloatVector) ByteVector.fromMemorySegment(B, levels, at + GROUP_ROWS + 2 * L, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2F, F, 0)).fma(xk, s2);
            s3 = ((FloatVector) ByteVector.fromMemorySegment(B, levels, at + GROUP_ROWS + 3 * L, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2F, F, 0)).fma(xk, s3);
            s4 = ((FloatVector) ByteVector.fromMemorySegment(B, levels, at + GROUP_ROWS + 4 * L, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2F, F, 0)).fma(xk, s4);
            s5 = ((FloatVector) ByteVector.fromMemorySegment(B, levels, at + GROUP_ROWS + 5 * L, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2F, F, 0)).fma(xk, s5);
            s6 = ((FloatVector) ByteVector.fromMemorySegment(B, levels, at + GROUP_ROWS + 6 * L, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2F, F, 0)).fma(xk, s6);
            s7 = ((FloatVector) ByteVector.fromMemorySegment(B, levels, at + GROUP_ROWS + 7 * L, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2F, F, 0)).fma(xk, s7);
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
        long at = columnAt(group, block * BLOCK), end = at + (long) BLOCK * GROUP_ROWS;
        FloatVector a0 = FloatVector.broadcast(F, startA), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        FloatVector b0 = FloatVector.broadcast(F, startB), b1 = b0, b2 = b0, b3 = b0, b4 = b0, b5 = b0, b6 = b0, b7 = b0;
        FloatVector va, vb, v;
        for (; at < end; at += GROUP_ROWS, xa++, xb++) {
            va = FloatVector.broadcast(F, x[xa]);
            vb = FloatVector.broadcast(F, x[xb]);
            v = (FloatVector) ByteVector.fromMemorySegment(B, levels, at, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2F, F, 0);
            a0 = v.fma(va, a0);
            b0 = v.fma(vb, b0);
            v = (FloatVector) ByteVector.fromMemorySegment(B, levels, at + L, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2F, F, 0);
            a1 = v.fma(va, a1);
            b1 = v.fma(vb, b1);
            v = (FloatVector) ByteVector.fromMemorySegment(B, levels, at + 2 * L, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2F, F, 0);
            a2 = v.fma(va, a2);
            b2 = v.fma(vb, b2);
            v = (FloatVector) ByteVector.fromMemorySegment(B, levels, at + 3 * L, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2F, F, 0);
            a3 = v.fma(va, a3);
            b3 = v.fma(vb, b3);
            v = (FloatVector) ByteVector.fromMemorySegment(B, levels, at + 4 * L, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2F, F, 0);
            a4 = v.fma(va, a4);
            b4 = v.fma(vb, b4);
            v = (FloatVector) ByteVector.fromMemorySegment(B, levels, at + 5 * L, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2F, F, 0);
            a5 = v.fma(va, a5);
            b5 = v.fma(vb, b5);
            v = (FloatVector) ByteVector.fromMemorySegment(B, levels, at + 6 * L, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2F, F, 0);
            a6 = v.fma(va, a6);
            b6 = v.fma(vb, b6);
            v = (FloatVector) ByteVector.fromMemorySegment(B, levels, at + 7 * L, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2F, F, 0);
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
        long end = atA + (long) BLOCK * GROUP_ROWS;
        FloatVector a0 = FloatVector.broadcast(F, start), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        FloatVector b0 = a0, b1 = a0, b2 = a0, b3 = a0, b4 = a0, b5 = a0, b6 = a0, b7 = a0;
        FloatVector xk;
        for (; atA < end; atA += GROUP_ROWS, atB += GROUP_ROWS, xo++) {
            xk = FloatVector.broadcast(F, x[xo]);
            a0 = ((FloatVector) ByteVector.fromMemorySegment(B, levels, atA, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2F, F, 0)).fma(xk, a0);
            a1 = ((FloatVector) ByteVector.fromMemorySegment(B, levels, atA + L, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2F, F, 0)).fma(xk, a1);
            a2 = ((FloatVector) ByteVector.fromMemorySegment(B, levels, atA + 2 * L, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2F, F, 0)).fma(xk, a2);
            a3 = ((FloatVector) ByteVector.fromMemorySegment(B, levels, atA + 3 * L, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2F, F, 0)).fma(xk, a3);
            a4 = ((FloatVector) ByteVector.fromMemorySegment(B, levels, atA + 4 * L, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2F, F, 0)).fma(xk, a4);
            a5 = ((FloatVector) ByteVector.fromMemorySegment(B, levels, atA + 5 * L, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2F, F, 0)).fma(xk, a5);
            a6 = ((FloatVector) ByteVector.fromMemorySegment(B, levels, atA + 6 * L, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2F, F, 0)).fma(xk, a6);
            a7 = ((FloatVector) ByteVector.fromMemorySegment(B, levels, atA + 7 * L, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2F, F, 0)).fma(xk, a7);
            b0 = ((FloatVector) ByteVector.fromMemorySegment(B, levels, atB, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2F, F, 0)).fma(xk, b0);
            b1 = ((FloatVector) ByteVector.fromMemorySegment(B, levels, atB + L, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2F, F, 0)).fma(xk, b1);
            b2 = ((FloatVector) ByteVector.fromMemorySegment(B, levels, atB + 2 * L, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2F, F, 0)).fma(xk, b2);
            b3 = ((FloatVector) ByteVector.fromMemorySegment(B, levels, atB + 3 * L, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2F, F, 0)).fma(xk, b3);
            b4 = ((FloatVector) ByteVector.fromMemorySegment(B, levels, atB + 4 * L, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2F, F, 0)).fma(xk, b4);
            b5 = ((FloatVector) ByteVector.fromMemorySegment(B, levels, atB + 5 * L, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2F, F, 0)).fma(xk, b5);
            b6 = ((FloatVector) ByteVector.fromMemorySegment(B, levels, atB + 6 * L, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2F, F, 0)).fma(xk, b6);
            b7 = ((FloatVector) ByteVector.fromMemorySegment(B, levels, atB + 7 * L, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2F, F, 0)).fma(xk, b7);
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
}

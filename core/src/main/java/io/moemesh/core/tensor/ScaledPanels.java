package io.moemesh.core.tensor;

import io.moemesh.core.weights.Numerics;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.function.Supplier;

import static io.moemesh.core.tensor.QuantBlocks.BLOCK;

/**
 * Row panels of integer levels with an fp16 scale per row and block: our int8 and q4. The scales of a (group, block)
 * are its 8·L rows' in a row, {@code [group][block][8·L]} in their own segment.
 */
sealed interface ScaledPanels extends RowPanels, BlockLevels permits Q4Matrix, Int8Matrix {
    /** fp16 → float by bits: the magnitude's bits shifted into place read as a float are the value times 2^-112. */
    float FP16_EXPONENT_SHIFT = 0x1p112f;
    /**
     * The fp16, sign-extended to an int and shifted left by 13, under this mask: the sign stays in bit 31, the
     * sign's copies in bits 30..28 go, and exponent and mantissa (bits 27..13) are the magnitude's bits in place.
     */
    int SIGN_AND_FP16_BITS = 0x8FFFE000;

    /** The fp16 scales, {@code [group][block][8·L rows]}. */
    MemorySegment scales();

    /** Index of the first fp16 scale of (group, block): the group's 8·L rows follow. */
    default long scalesAt(int group, int block) {
        return ((long) group * blocks() + block) * GROUP_ROWS;
    }

    @Override
    default float scale(int row, int block) {
        return Float.float16ToFloat(scales().getAtIndex(Numerics.I16, scalesAt(row / GROUP_ROWS, block) + row % GROUP_ROWS));
    }

    @Override
    default float value(int row, int col) {
        return level(row, col);
    }

    /**
     * Levels per unit of the values the kernels multiply: 1 where they multiply levels, 2^30 for q4 (whose values
     * are u·2^-30: {@link Q4Matrix}). A block's sum is multiplied by scale times this. A power of two, so the product
     * is exact.
     */
    default float levelsPerValue() {
        return 1;
    }

    @Override
    default float blockScale(int row, int block) {
        return scale(row, block) * levelsPerValue();
    }

    /**
     * {@link #blockScale}s of (group, block) into {@code dst}: the fp16 bits moved into a float's place, eight vectors
     * at a time (the Vector API has no fp16 conversion): a widening, a shift and a mask, then the exponent's bias by
     * one multiply, and q4's 2^30 by a second (2^112 · 2^30 is past a float's range). Exact for every finite fp16,
     * subnormals included.
     */
    @Override
    default float[] blockScales(int group, int block, float[] dst) {
        return scalesTimes(scales(), 2 * scalesAt(group, block), levelsPerValue(), dst);
    }

    /**
     * The 8·L fp16 scales from byte {@code at} of {@code scales} as floats, each times {@code factor} (one rounding;
     * none where the factor is 1 or a power of two), into dst: {@link #blockScales}' conversion.
     */
    static float[] scalesTimes(MemorySegment scales, long at, float factor, float[] dst) {
        for (int n = 0; n < 8; n++) {
            IntVector h = (IntVector) ShortVector.fromMemorySegment(S, scales, at + 2L * n * L, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, I, 0);
            FloatVector scale = h.lanewise(VectorOperators.LSHL, 13).and(SIGN_AND_FP16_BITS).reinterpretAsFloats()
                    .mul(FP16_EXPONENT_SHIFT);
            (factor == 1 ? scale : scale.mul(factor)).intoArray(dst, n * L);
        }
        return dst;
    }

    /** Fills one row's levels (one per column) and fp16 scales (one per block). */
    interface RowLevels {
        void fill(int row, byte[] levels, short[] scales);
    }

    /** Writes one group's levels ({@code levels[row within the group][column]}, zero-padded) into its layout. */
    interface GroupWriter {
        void write(int group, byte[][] levels, MemorySegment packed);
    }

    /** How a format quantizes a block: its fp16 scale, then each weight's level under it. */
    interface BlockRule {
        short scale(float[] w, int from, int to);

        int level(float w, float scale);
    }

    /** {@code source}'s weights quantized block by block by {@code rule} (weights must be finite). */
    static Supplier<RowLevels> quantizing(Matrix source, BlockRule rule) {
        return () -> {
            float[] w = new float[source.cols()];
            return (r, levels, scales) -> {
                source.row(r, w, 0);
                for (int b = 0; b < scales.length; b++) {
                    int from = b * BLOCK, to = Math.min(w.length, from + BLOCK);
                    QuantBlocks.requireFinite(w, from, to, r);
                    scales[b] = rule.scale(w, from, to);
                    float scale = Float.float16ToFloat(scales[b]);
                    for (int c = from; c < to; c++) {
                        levels[c] = (byte) rule.level(w[c], scale);
                    }
                }
            };
        };
    }

    /** The levels and scales of a matrix already in blocks (GGUF's Q8_0, Q4_0), unchanged: fp16 survives float. */
    static Supplier<RowLevels> exactly(BlockLevels source) {
        return () -> (r, levels, scales) -> {
            for (int c = 0; c < source.cols(); c++) {
                levels[c] = (byte) source.level(r, c);
            }
            for (int b = 0; b < scales.length; b++) {
                scales[b] = Float.floatToFloat16(source.scale(r, b));
            }
        };
    }

    /**
     * Packs a matrix group by group on the engine's threads: each group's rows filled by {@code perThread}'s
     * RowLevels (one per thread), the scales into the returned segment ({@code [group][block][8·L]}), the levels
     * written by {@code writer} into {@code packed} (which arrives zeroed: padding is level 0). Returns the scales.
     */
    static MemorySegment pack(int rows, int cols, MemorySegment packed, Arena arena, Supplier<RowLevels> perThread,
                              GroupWriter writer) {
        int blocks = QuantBlocks.blocks(cols), groups = RowPanels.groups(rows), width = blocks * BLOCK;
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
                writer.write(g, levels, packed);
            }
        });
        return scaleSegment;
    }
}

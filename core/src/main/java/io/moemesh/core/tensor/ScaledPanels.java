package io.moemesh.core.tensor;

import io.moemesh.core.weights.Numerics;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * Row panels of integer levels with an fp16 scale per row and block: our int8 and q4. The scales of a (group, block)
 * are its 8·L rows' in a row, {@code [group][block][8·L]} in their own segment.
 */
sealed interface ScaledPanels extends RowPanels, BlockLevels permits Q4Matrix, Int8Matrix {
    /** fp16 → float by bits: the magnitude's bits shifted into place read as a float are the value times 2^-112. */
    float FP16_EXPONENT_SHIFT = 0x1p112f;

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

    @Override
    default float blockScale(int row, int block) {
        return scale(row, block);
    }

    /**
     * Scales of (group, block) as floats into {@code dst}: the fp16 bits moved into a float's place, eight vectors at
     * a time (the Vector API has no fp16 conversion). Exact for every finite fp16, subnormals included.
     */
    @Override
    default float[] blockScales(int group, int block, float[] dst) {
        long at = 2 * scalesAt(group, block);
        MemorySegment scales = scales();
        for (int n = 0; n < 8; n++) {
            IntVector h = (IntVector) ShortVector.fromMemorySegment(S, scales, at + 2L * n * L, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, I, 0);
            h.and(0x7FFF).lanewise(VectorOperators.LSHL, 13).or(h.and(0x8000).lanewise(VectorOperators.LSHL, 16))
                    .reinterpretAsFloats().mul(FP16_EXPONENT_SHIFT).intoArray(dst, n * L);
        }
        return dst;
    }
}

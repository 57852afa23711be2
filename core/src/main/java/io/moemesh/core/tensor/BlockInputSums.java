package io.moemesh.core.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;

import static io.moemesh.core.tensor.QuantBlocks.BLOCK;
import static io.moemesh.core.tensor.QuantBlocks.F;

/**
 * Σx over a block of 32 inputs, added in one fixed tree whatever the vector width: a_i = x_i + x_{i+16}, then
 * halving (b_i = a_i + a_{i+8}, and so on down to one); over a block of 16 the same from b. A kernel that needs
 * the same float in every path (q4's and q6's offset, {@link RowPanels#valueOffset}) takes it from here: {@link #of}
 * in vector lanes, {@link #scalar} its twin. A tree, not a running sum, because it is a handful of vector operations
 * per block where a running sum is 32 dependent adds, which measured 12% of q4's many-token kernel when computed for
 * every group.
 */
final class BlockInputSums {
    private static final int L = F.length();
    /** Lane i takes lane i + n: the tree's halving steps within a vector. */
    private static final VectorShuffle<Float> HALF_8 = fold(8), HALF_4 = fold(4), HALF_2 = fold(2), HALF_1 = fold(1);

    private BlockInputSums() {
    }

    private static VectorShuffle<Float> fold(int n) {
        return VectorShuffle.fromOp(F, i -> (i + n) % L);
    }

    /** The tree's sum of x[from, from + 32), all 32 there (zero-padded by the caller past the inputs). */
    static float of(float[] x, int from) {
        if (L == 16) {
            FloatVector a = FloatVector.fromArray(F, x, from).add(FloatVector.fromArray(F, x, from + 16));
            a = a.add(a.rearrange(HALF_8));
            return lastSteps(a);
        }
        if (L == 8) {
            FloatVector low = FloatVector.fromArray(F, x, from).add(FloatVector.fromArray(F, x, from + 16));
            FloatVector high = FloatVector.fromArray(F, x, from + 8).add(FloatVector.fromArray(F, x, from + 24));
            return lastSteps(low.add(high));
        }
        return scalar(x, from, BLOCK);
    }

    /**
     * The tree's sum of x[from, from + 16) (Q6_K's blocks, {@link Q6Matrix}), all there: the tree of 32 without its
     * first level. Apart from {@link #of}, not one method with the span as an argument: that one grew past what the
     * compiler inlined, and its vectors went to {@link #lastSteps} boxed (244 KB allocated per decoded token).
     */
    static float of16(float[] x, int from) {
        if (L == 16) {
            FloatVector a = FloatVector.fromArray(F, x, from);
            return lastSteps(a.add(a.rearrange(HALF_8)));
        }
        if (L == 8) {
            return lastSteps(FloatVector.fromArray(F, x, from).add(FloatVector.fromArray(F, x, from + 8)));
        }
        return scalar(x, from, 16, 16);
    }

    /** {@link #of} or {@link #of16}. */
    static float of(float[] x, int from, int span) {
        return span == BLOCK ? of(x, from) : of16(x, from);
    }

    /** Lanes 0..7 hold b_0..b_7: the steps by 4, 2 and 1. */
    private static float lastSteps(FloatVector b) {
        b = b.add(b.rearrange(HALF_4));
        b = b.add(b.rearrange(HALF_2));
        b = b.add(b.rearrange(HALF_1));
        return b.lane(0);
    }

    /** The same tree one value at a time, over x[from, from + width) and zeros after, for blocks of 32. */
    static float scalar(float[] x, int from, int width) {
        return scalar(x, from, width, BLOCK);
    }

    /** {@link #of}'s tree of {@code span} (32 or 16) one value at a time, over x[from, from + width), zeros after. */
    static float scalar(float[] x, int from, int width, int span) {
        return node(x, from, width, 0, 1, span);
    }

    /** Value i of the tree's level that holds n values: level span/2 adds inputs i and i + span/2; each next halves. */
    private static float node(float[] x, int from, int width, int i, int n, int span) {
        if (n == span / 2) {
            return input(x, from, width, i) + input(x, from, width, i + n);
        }
        return node(x, from, width, i, 2 * n, span) + node(x, from, width, i + n, 2 * n, span);
    }

    private static float input(float[] x, int from, int width, int i) {
        return i < width ? x[from + i] : 0f;
    }
}

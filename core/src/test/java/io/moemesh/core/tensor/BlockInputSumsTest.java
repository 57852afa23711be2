package io.moemesh.core.tensor;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * q4's kernels start each block from −8·2^-30·Σx, q6's each 16 columns from −32·2^-40·Σx: every path must get the same
 * float, and it must be Σx.
 */
class BlockInputSumsTest {
    @Test
    void vectorTreeEqualsScalarTwinBitForBit() {
        SplittableRandom r = new SplittableRandom(7);
        float[] x = new float[32 * 40 + 3];
        for (int trial = 0; trial < 200; trial++) {
            double magnitude = Math.pow(10, r.nextInt(-6, 6));
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) (r.nextGaussian() * magnitude);
            }
            int from = r.nextInt(x.length - 32);
            assertEquals(Float.floatToIntBits(BlockInputSums.scalar(x, from, 32)),
                    Float.floatToIntBits(BlockInputSums.of(x, from)), "trial " + trial + " from " + from);
            int width = r.nextInt(1, 32);
            float[] padded = new float[32];
            System.arraycopy(x, from, padded, 0, width);
            assertEquals(Float.floatToIntBits(BlockInputSums.scalar(x, from, width)),
                    Float.floatToIntBits(BlockInputSums.of(padded, 0)), "width " + width);
        }
    }

    /** The tree of 16 ({@link BlockInputSums#of16}): the vector path against its twin, and Σx. */
    @Test
    void treeOfSixteenEqualsItsTwinAndTheSum() {
        SplittableRandom r = new SplittableRandom(13);
        float[] x = new float[16 * 40 + 5];
        for (int trial = 0; trial < 200; trial++) {
            double magnitude = Math.pow(10, r.nextInt(-6, 6)), exact = 0, magnitudes = 0;
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) (r.nextGaussian() * magnitude);
            }
            int from = r.nextInt(x.length - 32);
            float tree = BlockInputSums.of(x, from, 16);
            assertEquals(Float.floatToIntBits(BlockInputSums.scalar(x, from, 16, 16)), Float.floatToIntBits(tree),
                    "trial " + trial + " from " + from);
            for (int i = from; i < from + 16; i++) {
                exact += x[i];
                magnitudes += Math.abs(x[i]);
            }
            assertTrue(Math.abs(tree - exact) <= 1e-6 * magnitudes, trial + ": " + tree + " vs " + exact);
            // a span of 32 is the tree of 32
            assertEquals(Float.floatToIntBits(BlockInputSums.of(x, from)), Float.floatToIntBits(BlockInputSums.of(x, from, 32)));
        }
    }

    @Test
    void treeIsTheSumOfItsInputs() {
        SplittableRandom r = new SplittableRandom(11);
        for (int width = 1; width <= 32; width++) {
            float[] x = new float[40];
            double exact = 0, magnitudes = 0;
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) r.nextGaussian();
            }
            for (int i = 3; i < 3 + width; i++) {
                exact += x[i];
                magnitudes += Math.abs(x[i]);
            }
            float tree = BlockInputSums.scalar(x, 3, width);
            assertTrue(Math.abs(tree - exact) <= 1e-6 * magnitudes, width + ": " + tree + " vs " + exact);
        }
        float[] ones = new float[32];
        java.util.Arrays.fill(ones, 1f);
        assertEquals(32f, BlockInputSums.of(ones, 0));
    }
}

package io.moemesh.core.nn;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The vector attention kernel against its scalar twin on random caches: head sizes that are not multiples of the
 * vector width, several KV heads, contexts from one position to several pages with a partly filled last page, and
 * pages reused from a finished sequence (stale keys past the end must not count).
 */
class AttentionKernelTest {
    @ParameterizedTest(name = "headDim {0}, kvHeads {1}, {2} query heads each, positions {3}, query scale {4}")
    @CsvSource({
            "128, 4, 8, 1, 1",
            "128, 4, 8, 150, 1",
            "128, 2, 1, 200, 8",
            "37, 3, 5, 65, 1",
            "64, 1, 2, 64, 4",
            "17, 2, 3, 3, 1",
            "96, 2, 4, 129, 2",
            "5, 1, 1, 300, 1",
    })
    void vectorKernelMatchesScalarTwin(int headDim, int kvHeads, int group, int positions, float queryScale) {
        Random random = new Random(headDim * 7919L + kvHeads * 31L + positions);
        int kvDim = kvHeads * headDim;
        KvPages pages = new KvPages(kvDim, Long.MAX_VALUE);
        KvCache stale = new KvCache(pages);   // leaves pages full of other keys and values (NaN included) in the pool
        float[] junk = new float[kvDim];
        for (int p = 0; p < positions + KvCache.PAGE; p++) {
            java.util.Arrays.fill(junk, p % 3 == 0 ? Float.NaN : 1e30f);
            stale.append(junk, 0, junk, 0);
        }
        stale.release();
        KvCache cache = new KvCache(pages);
        float[] k = new float[kvDim], v = new float[kvDim];
        for (int p = 0; p < positions; p++) {
            for (int i = 0; i < kvDim; i++) {
                k[i] = (float) random.nextGaussian();
                v[i] = (float) random.nextGaussian();
            }
            cache.append(k, 0, v, 0);
        }
        float scale = (float) (1 / Math.sqrt(headDim));
        int width = group * headDim;
        float[] q = new float[width + 3];
        float[] vector = new float[width + 5], reference = new float[width + 5];
        for (int kvHead = 0; kvHead < kvHeads; kvHead++) {
            for (int i = 0; i < width; i++) {
                q[3 + i] = queryScale * (float) random.nextGaussian();
            }
            for (int visible : new int[]{1, (positions + 1) / 2, positions}) {
                AttentionKernel.vector().attend(q, 3, group, cache, kvHead * headDim, headDim, visible, scale, vector, 5);
                AttentionKernel.reference().attend(q, 3, group, cache, kvHead * headDim, headDim, visible, scale,
                        reference, 5);
                for (int d = 0; d < width; d++) {
                    float got = vector[5 + d], want = reference[5 + d];
                    assertTrue(Math.abs(got - want) <= 2e-5f * (1 + Math.abs(want)), "kv head " + kvHead + ", "
                            + visible + " visible, head " + d / headDim + " element " + d % headDim + ": " + got
                            + " vs " + want);
                }
            }
        }
    }

    /** The kernel's own e^x (exactly defined operations only) against Math.exp over the range softmax feeds it. */
    @Test
    void expIsWithinTwoUlpsDownToItsFloor() {
        Random random = new Random(5);
        int lanes = FloatVector.SPECIES_PREFERRED.length();
        float[] x = new float[lanes], e = new float[lanes];
        for (int round = 0; round < 20_000; round++) {
            for (int i = 0; i < lanes; i++) {
                x[i] = round == 0 ? -i * 0.1f : -87f * random.nextFloat() * (random.nextBoolean() ? 1 : 0.01f);
            }
            System.arraycopy(x, 0, e, 0, lanes);
            VectorAttentionKernel.exp(e, 0, 0f);
            for (int i = 0; i < lanes; i++) {
                float want = (float) Math.exp(x[i]);
                assertTrue(Math.abs(e[i] - want) <= 2 * Math.ulp(want), "e^" + x[i] + ": " + e[i] + " vs " + want);
            }
        }
        x[0] = Float.NEGATIVE_INFINITY;
        x[1] = -1000f;
        System.arraycopy(x, 0, e, 0, lanes);
        VectorAttentionKernel.exp(e, 0, 0f);
        assertTrue(e[0] >= 0 && e[0] < 1e-37f && e[1] >= 0 && e[1] < 1e-37f, e[0] + " " + e[1]);
    }
}

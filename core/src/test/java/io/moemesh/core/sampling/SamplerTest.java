package io.moemesh.core.sampling;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class SamplerTest {
    private static float[] randomLogits(int n, long seed) {
        Random r = new Random(seed);
        float[] l = new float[n];
        for (int i = 0; i < n; i++) {
            l[i] = (float) (r.nextGaussian() * 3);
        }
        return l;
    }

    private static SamplingParams params(double t, int k, double p, double minP, Long seed) {
        return new SamplingParams(t, k, p, minP, 0, 0, 1, seed);
    }

    @Test
    void greedyIsArgmax() {
        float[] l = randomLogits(151936, 1);
        int expected = Sampler.argmax(l.clone());
        assertEquals(expected, new Sampler(SamplingParams.GREEDY, l.length, new int[0]).sample(l));
    }

    @Test
    void topKOneAndTinyTopPAreGreedy() {
        float[] l = randomLogits(5000, 2);
        int best = Sampler.argmax(l);
        for (int i = 0; i < 20; i++) {
            assertEquals(best, new Sampler(params(1.5, 1, 1, 0, (long) i), l.length, new int[0]).sample(l.clone()));
            assertEquals(best, new Sampler(params(1.5, 0, 1e-6, 0, (long) i), l.length, new int[0]).sample(l.clone()));
            assertEquals(best, new Sampler(params(1.5, 0, 1, 0.999, (long) i), l.length, new int[0]).sample(l.clone()));
        }
    }

    @Test
    void aSeedReproducesTheDraws() {
        float[] l = randomLogits(151936, 3);
        SamplingParams p = params(1.0, 50, 0.9, 0.01, 42L);
        int[] a = new int[30], b = new int[30];
        Sampler s1 = new Sampler(p, l.length, new int[0]), s2 = new Sampler(p, l.length, new int[0]);
        for (int i = 0; i < 30; i++) {
            a[i] = s1.sample(l.clone());
            b[i] = s2.sample(l.clone());
        }
        assertArrayEquals(a, b);
        assertTrue(java.util.Arrays.stream(a).distinct().count() > 1, "T=1 over 50 candidates draws more than one token");
    }

    @Test
    void drawsFollowTheSoftmax() {
        float[] l = {0f, (float) Math.log(2), (float) Math.log(7)};   // probabilities 0.1, 0.2, 0.7
        Sampler s = new Sampler(params(1.0, 0, 1, 0, 7L), 3, new int[0]);
        int[] counts = new int[3];
        int n = 20000;
        for (int i = 0; i < n; i++) {
            counts[s.sample(l.clone())]++;
        }
        assertEquals(0.1, counts[0] / (double) n, 0.015);
        assertEquals(0.2, counts[1] / (double) n, 0.015);
        assertEquals(0.7, counts[2] / (double) n, 0.015);
    }

    @Test
    void topPKeepsTheSmallestSetReachingP() {
        float[] l = {(float) Math.log(5), (float) Math.log(3), (float) Math.log(2)};   // 0.5, 0.3, 0.2
        Sampler s = new Sampler(params(1.0, 0, 0.75, 0, 9L), 3, new int[0]);
        boolean[] seen = new boolean[3];
        for (int i = 0; i < 2000; i++) {
            seen[s.sample(l.clone())] = true;
        }
        assertTrue(seen[0] && seen[1]);
        assertFalse(seen[2], "0.5 + 0.3 already reach 0.75: the third token is cut");
    }

    @Test
    void penaltiesPushRepeatedTokensDown() {
        float[] l = {2f, 1.9f, -1f};
        // repetition penalty over the prompt: token 0 (in the prompt) drops below token 1
        Sampler rep = new Sampler(new SamplingParams(0, 0, 1, 0, 0, 0, 1.2, null), 3, new int[]{0});
        assertEquals(1, rep.sample(l.clone()));
        // presence/frequency apply to generated tokens only
        Sampler pres = new Sampler(new SamplingParams(0, 0, 1, 0, 0.5, 0, 1, null), 3, new int[]{0});
        assertEquals(0, pres.sample(l.clone()), "the prompt does not count for presence");
        pres.accept(0);
        assertEquals(1, pres.sample(l.clone()));
        Sampler freq = new Sampler(new SamplingParams(0, 0, 1, 0, 0, 0.04, 1, null), 3, new int[0]);
        freq.accept(0);
        assertEquals(0, freq.sample(l.clone()), "one occurrence costs 0.04 < 0.1");
        freq.accept(0);
        freq.accept(0);
        assertEquals(1, freq.sample(l.clone()), "three cost 0.12 > 0.1");
        // a negative logit gets more negative under the repetition penalty
        float[] neg = {-1f, -1.1f};
        assertEquals(1, new Sampler(new SamplingParams(0, 0, 1, 0, 0, 0, 1.2, null), 2, new int[]{0}).sample(neg));
    }

    @Test
    void topIndicesOrdersByLogitThenId() {
        float[] l = {1f, 3f, -2f, 3f, 0f, -0f};
        assertArrayEquals(new int[]{1, 3, 0, 4, 5, 2}, Sampler.topIndices(l, 6));
        assertArrayEquals(new int[]{1, 3}, Sampler.topIndices(new float[]{1f, 3f, -2f, 3f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f}, 2));
    }

    @Test
    void impossibleValuesAreRejectedWithTheirName() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> params(-1, 0, 1, 0, null)).getMessage().contains("temperature"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> params(1, 0, 0, 0, null)).getMessage().contains("top_p"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> params(1, 0, 1.5, 0, null)).getMessage().contains("top_p"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> params(1, -5, 1, 0, null)).getMessage().contains("top_k"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> params(1, 0, 1, 2, null)).getMessage().contains("min_p"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new SamplingParams(1, 0, 1, 0, 3, 0, 1, null)).getMessage().contains("presence"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new SamplingParams(1, 0, 1, 0, 0, 0, 0, null)).getMessage().contains("repetition"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> params(Double.NaN, 0, 1, 0, null)).getMessage().contains("temperature"));
    }
}

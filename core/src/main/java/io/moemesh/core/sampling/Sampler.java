package io.moemesh.core.sampling;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Turns one position's logits into a token: penalties → (greedy argmax | temperature → top-k → softmax →
 * top-p → min-p → draw). One sampler per sequence, so a seed reproduces the same draws.
 */
public final class Sampler {
    private final SamplingParams params;
    private final SplittableRandom random;
    private final int[] outputCounts;
    private final boolean[] seen;

    /** @param vocab logits per position; {@code prompt} seeds the repetition penalty */
    public Sampler(SamplingParams params, int vocab, int[] prompt) {
        this.params = params;
        this.random = params.seed() != null ? new SplittableRandom(params.seed()) : new SplittableRandom();
        this.outputCounts = new int[vocab];
        this.seen = new boolean[vocab];
        for (int id : prompt) {
            if (id >= 0 && id < vocab) {
                seen[id] = true;
            }
        }
    }

    /** Records a generated token (it then counts for the penalties). */
    public void accept(int token) {
        outputCounts[token]++;
        seen[token] = true;
    }

    /** Chooses the next token; {@code logits} is modified in place. */
    public int sample(float[] logits) {
        applyPenalties(logits);
        if (params.greedy()) {
            return argmax(logits);
        }
        int n = logits.length;
        float invT = (float) (1.0 / params.temperature());
        // Candidates as (logit, id) sorted descending; top-k bounds how many we keep before softmax.
        int keep = params.topK() > 0 ? Math.min(params.topK(), n) : n;
        int[] ids = topIndices(logits, keep);
        double max = logits[ids[0]] * invT;
        double[] p = new double[ids.length];
        double sum = 0;
        for (int i = 0; i < ids.length; i++) {
            p[i] = Math.exp(logits[ids[i]] * invT - max);
            sum += p[i];
        }
        int cut = ids.length;
        if (params.topP() < 1) {
            double cumulative = 0;
            for (int i = 0; i < ids.length; i++) {
                cumulative += p[i] / sum;
                if (cumulative >= params.topP()) {
                    cut = i + 1;
                    break;
                }
            }
        }
        if (params.minP() > 0) {
            double threshold = params.minP() * p[0];
            int i = 1;
            while (i < cut && p[i] >= threshold) {
                i++;
            }
            cut = i;
        }
        double total = 0;
        for (int i = 0; i < cut; i++) {
            total += p[i];
        }
        double r = random.nextDouble() * total;
        for (int i = 0; i < cut; i++) {
            r -= p[i];
            if (r < 0) {
                return ids[i];
            }
        }
        return ids[cut - 1];
    }

    private void applyPenalties(float[] logits) {
        float rep = (float) params.repetitionPenalty();
        float freq = (float) params.frequencyPenalty();
        float presence = (float) params.presencePenalty();
        boolean any = rep != 1 || freq != 0 || presence != 0;
        if (!any) {
            return;
        }
        for (int id = 0; id < logits.length && id < seen.length; id++) {
            if (!seen[id]) {
                continue;
            }
            if (rep != 1) {
                logits[id] = logits[id] > 0 ? logits[id] / rep : logits[id] * rep;
            }
            int count = outputCounts[id];
            if (count > 0) {
                logits[id] -= freq * count + presence;
            }
        }
    }

    /** The first index of the largest value. */
    public static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }

    /** The {@code k} largest logits' ids, largest first (ties: lower id first). */
    static int[] topIndices(float[] logits, int k) {
        int n = logits.length;
        // Pack (order-preserving bits of the logit, inverted id) into one long so a primitive sort does it all.
        long[] keys = new long[n];
        for (int i = 0; i < n; i++) {
            int bits = Float.floatToIntBits(logits[i]);
            int ordered = bits >= 0 ? bits : bits ^ 0x7FFFFFFF;
            keys[i] = ((long) ordered << 32) | (0xFFFFFFFFL & ~i);
        }
        if (k < n / 8) {
            return partialTop(keys, k);
        }
        Arrays.sort(keys);
        int[] out = new int[k];
        for (int i = 0; i < k; i++) {
            out[i] = ~(int) keys[n - 1 - i];
        }
        return out;
    }

    /** Keeps a sorted window of the k largest keys: O(n·k) with tiny k beats sorting 151,936 entries. */
    private static int[] partialTop(long[] keys, int k) {
        long[] top = new long[k];
        Arrays.fill(top, Long.MIN_VALUE);
        for (long key : keys) {
            if (key <= top[k - 1]) {
                continue;
            }
            int i = k - 1;
            while (i > 0 && top[i - 1] < key) {
                top[i] = top[i - 1];
                i--;
            }
            top[i] = key;
        }
        int[] out = new int[k];
        for (int i = 0; i < k; i++) {
            out[i] = ~(int) top[i];
        }
        return out;
    }
}

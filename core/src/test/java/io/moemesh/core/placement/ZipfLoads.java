package io.moemesh.core.placement;

import java.util.SplittableRandom;

/** Synthetic router loads: Zipf-skewed over the experts, as measured MoE routing roughly is. Shared with cli tests. */
public final class ZipfLoads {
    private ZipfLoads() {
    }

    /**
     * {@code tokens[layer][expert]} with the expert of rank k (1-based) getting {@code 1e6 / k^s} tokens. The ranking
     * is one random permutation for every layer, or a fresh one per layer ({@code hotExpertsPerLayer}), as real
     * layers have their own hot experts.
     */
    public static double[][] tokens(int layers, int experts, double s, boolean hotExpertsPerLayer, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        int[] rankOf = permutation(experts, random);
        double[][] tokens = new double[layers][experts];
        for (int layer = 0; layer < layers; layer++) {
            if (hotExpertsPerLayer && layer > 0) {
                rankOf = permutation(experts, random);
            }
            for (int expert = 0; expert < experts; expert++) {
                tokens[layer][expert] = Math.rint(1e6 / Math.pow(rankOf[expert] + 1, s));
            }
        }
        return tokens;
    }

    public static ExpertLoad load(int layers, int experts, double s, boolean hotExpertsPerLayer, long seed) {
        return ExpertLoad.of(tokens(layers, experts, s, hotExpertsPerLayer, seed));
    }

    private static int[] permutation(int n, SplittableRandom random) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }
}

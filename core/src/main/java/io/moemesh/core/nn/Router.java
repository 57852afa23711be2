package io.moemesh.core.nn;

import io.moemesh.core.kernel.MatMul;
import io.moemesh.core.tensor.Matrix;

/**
 * The MoE gate as a pure function of the hidden rows: logits = gate(x); p = softmax over all experts; take the
 * top k by p (ties to the lower id); renormalise the k weights to sum 1 when norm_topk_prob.
 */
public record Router(Matrix gate, int topK, boolean normTopkProb) {

    public int numExperts() {
        return gate.rows();
    }

    public Routing route(float[] x, int tokens, MatMul matMul) {
        int experts = gate.rows();
        float[] logits = matMul.apply(gate, x, tokens);
        int[] ids = new int[tokens * topK];
        float[] weights = new float[tokens * topK];
        float[] p = new float[experts];
        for (int t = 0; t < tokens; t++) {
            int base = t * experts;
            float max = Float.NEGATIVE_INFINITY;
            for (int e = 0; e < experts; e++) {
                max = Math.max(max, logits[base + e]);
            }
            float sum = 0;
            for (int e = 0; e < experts; e++) {
                p[e] = (float) Math.exp(logits[base + e] - max);
                sum += p[e];
            }
            for (int e = 0; e < experts; e++) {
                p[e] /= sum;
            }
            selectTopK(p, topK, ids, weights, t * topK);
            if (normTopkProb) {
                float total = 0;
                for (int j = 0; j < topK; j++) {
                    total += weights[t * topK + j];
                }
                for (int j = 0; j < topK; j++) {
                    weights[t * topK + j] /= total;
                }
            }
        }
        return new Routing(tokens, topK, experts, ids, weights, logits);
    }

    /** Partial selection sort: k is 8 of 128, so k passes beat sorting everything. */
    private static void selectTopK(float[] p, int k, int[] ids, float[] weights, int offset) {
        long chosen0 = 0, chosen1 = 0;   // bitset of picked experts (up to 128; larger counts use the slow path)
        boolean[] picked = p.length > 128 ? new boolean[p.length] : null;
        for (int j = 0; j < k; j++) {
            int best = -1;
            for (int e = 0; e < p.length; e++) {
                boolean taken = picked != null ? picked[e]
                        : e < 64 ? (chosen0 >>> e & 1) != 0 : (chosen1 >>> (e - 64) & 1) != 0;
                if (!taken && (best < 0 || p[e] > p[best])) {
                    best = e;
                }
            }
            if (picked != null) {
                picked[best] = true;
            } else if (best < 64) {
                chosen0 |= 1L << best;
            } else {
                chosen1 |= 1L << (best - 64);
            }
            ids[offset + j] = best;
            weights[offset + j] = p[best];
        }
    }
}

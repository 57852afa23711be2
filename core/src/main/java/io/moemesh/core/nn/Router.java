package io.moemesh.core.nn;

import io.moemesh.core.kernel.MatMul;
import io.moemesh.core.kernel.Scratch;
import io.moemesh.core.tensor.Matrix;

/**
 * The MoE gate as a pure function of the hidden rows: logits = gate(x); p = softmax over all experts; take the
 * top k by p (ties to the lower id); renormalise the k weights to sum 1 when norm_topk_prob.
 */
public record Router(Matrix gate, int topK, boolean normTopkProb) {

    public int numExperts() {
        return gate.rows();
    }

    /** A routing of fresh arrays: it may be kept (traces keep it). */
    public Routing route(float[] x, int tokens, MatMul matMul) {
        return route(x, tokens, matMul, false);
    }

    /**
     * @param scratch the routing lives in {@link Scratch} arrays, valid until this thread routes again: for the
     *                decode path, where it is used at once to dispatch the experts
     */
    public Routing route(float[] x, int tokens, MatMul matMul, boolean scratch) {
        int experts = gate.rows();
        float[] logits = scratch ? Scratch.floats(Scratch.Use.ROUTER_LOGITS, tokens * experts) : new float[tokens * experts];
        matMul.apply(gate, x, tokens, logits);
        int[] ids = scratch ? Scratch.ints(Scratch.Use.ROUTER_IDS, tokens * topK) : new int[tokens * topK];
        float[] weights = scratch ? Scratch.floats(Scratch.Use.ROUTER_WEIGHTS, tokens * topK) : new float[tokens * topK];
        float[] p = Scratch.floats(Scratch.Use.ROUTER_P, experts);
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

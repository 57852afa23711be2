package io.moemesh.core.nn;

/**
 * Where each token of a batch goes in one MoE layer: {@code expertIds[t·k + j]} with weight
 * {@code weights[t·k + j]}, j ordered by descending weight; and the gate's raw logits [tokens, experts].
 */
public record Routing(int tokens, int topK, int numExperts, int[] expertIds, float[] weights, float[] logits) {

    public int expert(int token, int slot) {
        return expertIds[token * topK + slot];
    }

    public float weight(int token, int slot) {
        return weights[token * topK + slot];
    }
}

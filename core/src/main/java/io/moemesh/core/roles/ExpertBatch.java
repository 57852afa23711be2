package io.moemesh.core.roles;

/**
 * Token rows of one layer sent to an expert host, each with up to {@code slots} (expert, weight) assignments;
 * an expert id of -1 marks an unused slot (a host sees only the assignments to experts it holds).
 *
 * @param x       [tokens, hidden] input rows (post-attention normed hidden states)
 * @param experts [tokens, slots] expert ids or -1
 * @param weights [tokens, slots] routing weights
 */
public record ExpertBatch(int layer, int tokens, int hidden, float[] x, int slots, int[] experts, float[] weights) {
    public ExpertBatch {
        if (x.length != tokens * hidden || experts.length != tokens * slots || weights.length != tokens * slots) {
            throw new IllegalArgumentException("expert batch of " + tokens + " tokens × " + hidden + " hidden × " + slots
                    + " slots has arrays of " + x.length + ", " + experts.length + ", " + weights.length);
        }
    }
}

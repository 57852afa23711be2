package io.moemesh.core.nn;

/**
 * A sequence's part of one step: its next tokens (a prompt chunk at prefill, the last sampled token at decode),
 * and whether the step must return logits for its last position (not while more of the prompt is to come).
 */
public record SequenceChunk(long sequenceId, int[] tokens, boolean wantsLogits) {
    public SequenceChunk {
        if (tokens.length == 0) {
            throw new IllegalArgumentException("sequence " + sequenceId + ": a step needs at least one token");
        }
    }
}

package io.moemesh.core.engine;

import io.moemesh.core.config.Qwen3Config;
import io.moemesh.core.sampling.SamplingParams;

import java.util.Set;

/**
 * What a client asks of the engine: a tokenized prompt, how many tokens at most, how to sample and which tokens end
 * the generation. Checked against the model before it takes a place in the batch, so a bad request fails alone.
 */
public record GenerationRequest(int[] prompt, int maxNewTokens, SamplingParams params, Set<Integer> stopTokens) {

    /** @throws IllegalArgumentException naming what is wrong: empty prompt, ids outside the vocabulary, too long */
    public void validate(Qwen3Config config) {
        if (prompt.length == 0) {
            throw new IllegalArgumentException("the prompt is empty");
        }
        if (maxNewTokens < 0) {
            throw new IllegalArgumentException("max new tokens must be >= 0, got " + maxNewTokens);
        }
        for (int id : prompt) {
            if (id < 0 || id >= config.vocabSize()) {
                throw new IllegalArgumentException("token id " + id + " is outside the vocabulary [0, " + config.vocabSize() + ")");
            }
        }
        if (prompt.length >= config.maxPositionEmbeddings()) {
            throw new IllegalArgumentException("the prompt has " + prompt.length + " tokens; the model's context is "
                    + config.maxPositionEmbeddings() + " tokens");
        }
    }

    /** New tokens it may produce: its own limit, cut by what is left of the context. */
    public int budget(Qwen3Config config) {
        return Math.min(maxNewTokens, config.maxPositionEmbeddings() - prompt.length);
    }
}

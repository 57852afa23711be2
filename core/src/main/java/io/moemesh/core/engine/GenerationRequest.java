package io.moemesh.core.engine;

import io.moemesh.core.config.Qwen3Config;
import io.moemesh.core.sampling.SamplingParams;

import java.util.Map;
import java.util.Set;

/**
 * What a client asks of the engine: a tokenized prompt, how many tokens at most, how to sample and which tokens end
 * the generation. Checked against the model before it takes a place in the batch, so a bad request fails alone.
 *
 * @param topLogprobs how many alternatives to report with each token's log-probability; -1 reports no logprobs
 * @param logitBias   added to the logits of these token ids before sampling (OpenAI's {@code logit_bias})
 * @param steering    tokens the server inserts (a thinking budget), or null
 */
public record GenerationRequest(int[] prompt, int maxNewTokens, SamplingParams params, Set<Integer> stopTokens,
                                int topLogprobs, Map<Integer, Float> logitBias, Steering steering) {

    /** Most alternatives per token a request may ask for (OpenAI allows 20). */
    public static final int MAX_TOP_LOGPROBS = 20;

    public GenerationRequest(int[] prompt, int maxNewTokens, SamplingParams params, Set<Integer> stopTokens) {
        this(prompt, maxNewTokens, params, stopTokens, -1, Map.of(), null);
    }

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
        if (topLogprobs < -1 || topLogprobs > MAX_TOP_LOGPROBS) {
            throw new IllegalArgumentException("top_logprobs must be in [0, " + MAX_TOP_LOGPROBS + "], got " + topLogprobs);
        }
        for (var bias : logitBias.entrySet()) {
            if (bias.getKey() < 0 || bias.getKey() >= config.vocabSize()) {
                throw new IllegalArgumentException("logit_bias names token " + bias.getKey()
                        + ", outside the vocabulary [0, " + config.vocabSize() + ")");
            }
            if (!(bias.getValue() >= -100 && bias.getValue() <= 100)) {
                throw new IllegalArgumentException("logit_bias values must be in [-100, 100], got " + bias.getValue()
                        + " for token " + bias.getKey());
            }
        }
        if (prompt.length >= config.maxPositionEmbeddings()) {
            throw new PromptTooLongException(prompt.length, config.maxPositionEmbeddings());
        }
    }

    /** New tokens it may produce: its own limit, cut by what is left of the context. */
    public int budget(Qwen3Config config) {
        return Math.min(maxNewTokens, config.maxPositionEmbeddings() - prompt.length);
    }
}

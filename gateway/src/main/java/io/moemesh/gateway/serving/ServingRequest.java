package io.moemesh.gateway.serving;

import io.moemesh.core.sampling.SamplingParams;

import java.util.List;
import java.util.Map;

/**
 * One API request, whatever its transport (OpenAI HTTP or gRPC), once parsed and checked: the prompt as the model
 * will see it and how to generate and split its {@code n} answers.
 *
 * @param prompt          the rendered, tokenized prompt
 * @param n               independent answers (choices) to the same prompt
 * @param maxTokens       new tokens per choice at most
 * @param sampling        choice i draws with seed + i when a seed is given, so choices differ and each reproduces
 * @param stop            strings that end a choice (not included in its text)
 * @param ignoreEos       keep going past the model's end-of-sequence tokens
 * @param topLogprobs     alternatives reported per token; -1 reports no logprobs at all
 * @param logitBias       added to those tokens' logits
 * @param thinkingBudget  tokens of reasoning before the server closes the think block; null for no limit
 * @param chat            split reasoning from content (chat); false gives raw text (completions)
 * @param parseToolCalls  turn {@code <tool_call>} blocks into tool calls
 * @param openToolCall    the start of a tool call block the prompt's assistant prefill left open (from
 *                        {@code <tool_call>} on), which the generated text completes; "" when none
 */
public record ServingRequest(int[] prompt, int n, int maxTokens, SamplingParams sampling, List<String> stop,
                             boolean ignoreEos, int topLogprobs, Map<Integer, Float> logitBias, Integer thinkingBudget,
                             boolean chat, boolean parseToolCalls, String openToolCall) {

    /** Most choices one request may ask for: each is a sequence in the batch. */
    public static final int MAX_CHOICES = 16;

    public ServingRequest {
        if (n < 1 || n > MAX_CHOICES) {
            throw new IllegalArgumentException("n must be in [1, " + MAX_CHOICES + "], got " + n);
        }
        stop = List.copyOf(stop);
        logitBias = Map.copyOf(logitBias);
    }

    /** Choice {@code i}'s sampling: its own seed, derived from the request's. */
    SamplingParams samplingFor(int choice) {
        return sampling.seed() == null ? sampling : sampling.withSeed(sampling.seed() + choice);
    }
}

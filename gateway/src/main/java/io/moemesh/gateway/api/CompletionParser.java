package io.moemesh.gateway.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.moemesh.gateway.engine.GatewayEngine;
import io.moemesh.gateway.serving.ServingRequest;

/**
 * {@code POST /v1/completions} bodies: a raw prompt (text, or token ids) continued as is, no template, no reasoning
 * split. Sampling defaults are Qwen3's thinking-mode values (the model's generation_config).
 */
final class CompletionParser {
    /** OpenAI's legacy completions allow at most 5 alternatives per token. */
    static final int MAX_LOGPROBS = 5;

    private CompletionParser() {
    }

    static ApiCall parse(JsonNode body, GatewayEngine engine) {
        JsonFields f = new JsonFields(body);
        String model = Models.check(f, engine.modelId());
        int[] prompt = prompt(f, engine);
        SamplingFields.check(!f.bool("echo").orElse(false), "echo", "is not supported");
        SamplingFields.check(!f.has("suffix"), "suffix", "is not supported");
        SamplingFields.check(!f.has("best_of") || f.integer("best_of").orElse(1) == 1, "best_of", "is not supported");
        int maxTokens = SamplingFields.maxTokens(f, prompt.length, engine.model().config().maxPositionEmbeddings(), "prompt");
        Integer logprobs = f.integer("logprobs").orElse(null);
        if (logprobs != null) {
            SamplingFields.check(logprobs >= 0 && logprobs <= MAX_LOGPROBS, "logprobs",
                    "must be in [0, " + MAX_LOGPROBS + "], got " + logprobs);
        }
        boolean stream = f.bool("stream").orElse(false);
        ServingRequest serving = new ServingRequest(prompt, SamplingFields.n(f), maxTokens,
                SamplingFields.sampling(f, true), SamplingFields.stop(f), f.bool("ignore_eos").orElse(false),
                logprobs == null ? -1 : logprobs, SamplingFields.logitBias(f, engine.model().config().vocabSize()),
                null, false, false, "");
        return new ApiCall(serving, stream, ChatCompletionParser.streamIncludesUsage(f, stream), model);
    }

    /** A string, a one-element array of strings, or an array of token ids. */
    private static int[] prompt(JsonFields f, GatewayEngine engine) {
        JsonNode p = f.get("prompt").orElseThrow(() -> ApiException.invalid("prompt", "'prompt' is required"));
        if (p.isTextual()) {
            return nonEmpty(engine.tokenizer().encode(p.asText()));
        }
        if (p.isArray() && p.size() == 1 && p.get(0).isTextual()) {
            return nonEmpty(engine.tokenizer().encode(p.get(0).asText()));
        }
        if (p.isArray() && !p.isEmpty() && p.get(0).isIntegralNumber()) {
            int vocab = engine.model().config().vocabSize();
            int[] ids = new int[p.size()];
            for (int i = 0; i < ids.length; i++) {
                JsonNode id = p.get(i);
                SamplingFields.check(id.isIntegralNumber() && id.asInt() >= 0 && id.asInt() < vocab, "prompt",
                        "token ids must be integers in [0, " + vocab + "), got " + id);
                ids[i] = id.asInt();
            }
            return ids;
        }
        if (p.isArray() && p.size() > 1) {
            throw ApiException.invalid("prompt", "'prompt' as several prompts is not supported: send one request each (or use n)");
        }
        throw JsonFields.wrongType("prompt", "a string or an array of token ids", p);
    }

    private static int[] nonEmpty(int[] ids) {
        SamplingFields.check(ids.length > 0, "prompt", "must not be empty");
        return ids;
    }
}

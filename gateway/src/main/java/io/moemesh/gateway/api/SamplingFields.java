package io.moemesh.gateway.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.moemesh.core.engine.PromptTooLongException;
import io.moemesh.core.sampling.SamplingParams;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The generation parameters chat and completions share: sampling (Qwen3's recommended values for the mode unless the
 * request sets its own), length, stop strings, seed, logit bias. Ranges are OpenAI's where OpenAI has them.
 */
final class SamplingFields {
    static final int MAX_STOP_STRINGS = 16;

    private SamplingFields() {
    }

    /** The request's sampling over the mode's defaults; a value out of range is a 400 naming it. */
    static SamplingParams sampling(JsonFields f, boolean thinking) {
        SamplingParams d = SamplingParams.qwen3Default(thinking);
        double temperature = f.number("temperature").orElse(d.temperature());
        check(temperature >= 0 && temperature <= 2, "temperature", "must be in [0, 2], got " + temperature);
        double topP = f.number("top_p").orElse(d.topP());
        check(topP > 0 && topP <= 1, "top_p", "must be in (0, 1], got " + topP);
        int topK = f.integer("top_k").orElse(d.topK());
        check(topK >= -1, "top_k", "must be -1 or 0 (no limit) or positive, got " + topK);
        double minP = f.number("min_p").orElse(d.minP());
        check(minP >= 0 && minP <= 1, "min_p", "must be in [0, 1], got " + minP);
        double presence = f.number("presence_penalty").orElse(d.presencePenalty());
        check(presence >= -2 && presence <= 2, "presence_penalty", "must be in [-2, 2], got " + presence);
        double frequency = f.number("frequency_penalty").orElse(d.frequencyPenalty());
        check(frequency >= -2 && frequency <= 2, "frequency_penalty", "must be in [-2, 2], got " + frequency);
        double repetition = f.number("repetition_penalty").orElse(d.repetitionPenalty());
        check(repetition > 0 && repetition <= 2, "repetition_penalty", "must be in (0, 2], got " + repetition);
        Long seed = f.longInteger("seed").orElse(null);
        return new SamplingParams(temperature, topK, topP, minP, presence, frequency, repetition, seed);
    }

    /** {@code max_completion_tokens} (the newer name) or {@code max_tokens}; absent: what is left of the context. */
    static int maxTokens(JsonFields f, int promptTokens, int context, String promptParam) {
        String name = f.has("max_completion_tokens") ? "max_completion_tokens" : "max_tokens";
        Integer asked = f.integer(name).orElse(null);
        if (promptTokens >= context) {
            throw contextExceeded(new PromptTooLongException(promptTokens, context), promptParam);
        }
        if (asked == null) {
            return context - promptTokens;
        }
        check(asked >= 1, name, "must be at least 1, got " + asked);
        if (promptTokens + asked > context) {
            throw new ApiException(400, "invalid_request_error", "context_length_exceeded", name,
                    "This model's maximum context length is " + context + " tokens. However, you requested "
                            + (promptTokens + asked) + " tokens (" + promptTokens + " in the prompt, " + asked
                            + " for the completion). Please reduce the prompt or the completion length.");
        }
        return asked;
    }

    static ApiException contextExceeded(PromptTooLongException e, String param) {
        return new ApiException(400, "invalid_request_error", "context_length_exceeded", param, e.getMessage());
    }

    static List<String> stop(JsonFields f) {
        List<String> stop = f.strings("stop");
        check(stop.size() <= MAX_STOP_STRINGS, "stop", "takes at most " + MAX_STOP_STRINGS + " strings, got " + stop.size());
        for (String s : stop) {
            check(!s.isEmpty(), "stop", "strings must not be empty");
        }
        return stop;
    }

    static int n(JsonFields f) {
        int n = f.integer("n").orElse(1);
        check(n >= 1 && n <= io.moemesh.gateway.serving.ServingRequest.MAX_CHOICES, "n",
                "must be in [1, " + io.moemesh.gateway.serving.ServingRequest.MAX_CHOICES + "], got " + n);
        return n;
    }

    /** OpenAI's {@code logit_bias}: token ids (as JSON object keys) to a bias in [-100, 100]. */
    static Map<Integer, Float> logitBias(JsonFields f, int vocab) {
        Map<Integer, Float> out = new HashMap<>();
        f.get("logit_bias").ifPresent(node -> {
            if (!node.isObject()) {
                throw JsonFields.wrongType("logit_bias", "an object of token id to bias", node);
            }
            for (Map.Entry<String, JsonNode> e : node.properties()) {
                int id;
                try {
                    id = Integer.parseInt(e.getKey());
                } catch (NumberFormatException ex) {
                    throw ApiException.invalid("logit_bias", "'logit_bias' keys must be token ids, got \"" + e.getKey() + "\"");
                }
                check(id >= 0 && id < vocab, "logit_bias", "names token " + id + ", outside the vocabulary [0, " + vocab + ")");
                check(e.getValue().isNumber(), "logit_bias", "values must be numbers");
                double bias = e.getValue().asDouble();
                check(bias >= -100 && bias <= 100, "logit_bias", "values must be in [-100, 100], got " + bias);
                out.put(id, (float) bias);
            }
        });
        return out;
    }

    static void check(boolean ok, String param, String message) {
        if (!ok) {
            throw ApiException.invalid(param, "'" + param + "' " + message);
        }
    }
}

package io.moemesh.core.sampling;

/**
 * How the next token is chosen. {@code temperature == 0} is greedy. {@code topK <= 0}, {@code topP == 1} and
 * {@code minP == 0} disable those filters. Penalties follow vLLM/OpenAI: repetition (HF style, divides positive
 * logits) over prompt and output; frequency and presence over the output only. A null seed draws a random one.
 */
public record SamplingParams(double temperature, int topK, double topP, double minP,
                             double presencePenalty, double frequencyPenalty, double repetitionPenalty, Long seed) {

    public static final SamplingParams GREEDY = new SamplingParams(0, 0, 1, 0, 0, 0, 1, null);

    public SamplingParams {
        check(Double.isFinite(temperature) && temperature >= 0, "temperature must be >= 0, got " + temperature);
        check(topK >= -1, "top_k must be -1 or 0 (disabled) or positive, got " + topK);
        check(topP > 0 && topP <= 1, "top_p must be in (0, 1], got " + topP);
        check(minP >= 0 && minP <= 1, "min_p must be in [0, 1], got " + minP);
        check(Double.isFinite(presencePenalty) && presencePenalty >= -2 && presencePenalty <= 2,
                "presence_penalty must be in [-2, 2], got " + presencePenalty);
        check(Double.isFinite(frequencyPenalty) && frequencyPenalty >= -2 && frequencyPenalty <= 2,
                "frequency_penalty must be in [-2, 2], got " + frequencyPenalty);
        check(Double.isFinite(repetitionPenalty) && repetitionPenalty > 0,
                "repetition_penalty must be > 0, got " + repetitionPenalty);
    }

    private static void check(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    public boolean greedy() {
        return temperature == 0;
    }

    /** Qwen3's recommended settings (thinking: T 0.6, top-p 0.95, top-k 20; otherwise T 0.7, top-p 0.8, top-k 20, presence 1.5). */
    public static SamplingParams qwen3Default(boolean thinking) {
        return thinking ? new SamplingParams(0.6, 20, 0.95, 0, 0, 0, 1, null)
                : new SamplingParams(0.7, 20, 0.8, 0, 1.5, 0, 1, null);
    }

    public SamplingParams withSeed(Long newSeed) {
        return new SamplingParams(temperature, topK, topP, minP, presencePenalty, frequencyPenalty, repetitionPenalty, newSeed);
    }
}

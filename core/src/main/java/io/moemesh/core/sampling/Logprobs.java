package io.moemesh.core.sampling;

/** Log-probabilities from one position's logits, for the OpenAI {@code logprobs}/{@code top_logprobs} fields. */
public final class Logprobs {
    private Logprobs() {
    }

    /** log Σ exp(logits), computed around the maximum so no term overflows. */
    public static double logSumExp(float[] logits) {
        float max = Float.NEGATIVE_INFINITY;
        for (float v : logits) {
            max = Math.max(max, v);
        }
        double sum = 0;
        for (float v : logits) {
            sum += Math.exp(v - max);
        }
        return max + Math.log(sum);
    }

    /** The {@code k} most likely tokens, most likely first (ties: lower id first). */
    public static int[] top(float[] logits, int k) {
        return Sampler.topIndices(logits, Math.min(k, logits.length));
    }
}

package io.moemesh.core.engine;

/**
 * One token of a generation as its sink sees it.
 *
 * @param id          the token
 * @param forced      inserted by the server (a thinking budget's closing text), not chosen by the model
 * @param logprob     log-probability of {@code id} under the model's raw distribution (before penalties, bias and
 *                    temperature, as vLLM reports it); NaN when the request asked for none or the token was forced
 * @param topIds      the most likely tokens at this position, most likely first (empty unless asked for)
 * @param topLogprobs their log-probabilities
 */
public record GeneratedToken(int id, boolean forced, float logprob, int[] topIds, float[] topLogprobs) {
    private static final int[] NO_IDS = {};
    private static final float[] NO_LOGPROBS = {};

    public static GeneratedToken sampled(int id) {
        return new GeneratedToken(id, false, Float.NaN, NO_IDS, NO_LOGPROBS);
    }

    public static GeneratedToken forced(int id) {
        return new GeneratedToken(id, true, Float.NaN, NO_IDS, NO_LOGPROBS);
    }

    public boolean hasLogprob() {
        return !Float.isNaN(logprob);
    }
}

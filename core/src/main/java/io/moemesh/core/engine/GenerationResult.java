package io.moemesh.core.engine;

/**
 * @param finishReason "stop" (a stop token), "length" (max new tokens or the context), as OpenAI names them
 */
public record GenerationResult(int[] promptIds, int[] generatedIds, String finishReason, long prefillNanos,
                               long decodeNanos) {

    public int[] allIds() {
        int[] all = new int[promptIds.length + generatedIds.length];
        System.arraycopy(promptIds, 0, all, 0, promptIds.length);
        System.arraycopy(generatedIds, 0, all, promptIds.length, generatedIds.length);
        return all;
    }

    /** Decode speed: tokens after the first (the first comes from prefill) per second of decode steps. */
    public double decodeTokensPerSecond() {
        int steps = generatedIds.length - 1;
        return steps <= 0 || decodeNanos == 0 ? 0 : steps / (decodeNanos / 1e9);
    }

    public double prefillTokensPerSecond() {
        return prefillNanos == 0 ? 0 : promptIds.length / (prefillNanos / 1e9);
    }
}

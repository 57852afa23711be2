package io.moemesh.core.engine;

/**
 * Where a scheduled generation's tokens go, called on the scheduler's thread: keep it quick (hand the token to a
 * stream), never block on a client.
 */
public interface TokenSink {
    /**
     * A new token, sampled or forced (stop tokens are not passed here).
     *
     * @return false to stop: stop text seen, client gone
     */
    boolean onToken(GeneratedToken token);

    /** The generation ended: stop token, length, stopped by {@link #onToken}, or cancelled. */
    void onFinish(GenerationResult result);

    /** The generation failed (a remote role was unavailable, a bug); its KV cache is already freed. */
    void onError(RuntimeException error);
}

package io.moemesh.core.roles;

/**
 * The attention role: attention layers plus the KV caches of the sequences it owns. In-process by default
 * ({@link LocalAttention}); the attention-service implements the same contract over gRPC.
 */
public interface AttentionBackend extends AutoCloseable {
    /**
     * Runs layer {@code layer} for {@code tokens} new normed hidden rows of a sequence, appending their keys and
     * values to that sequence's cache (positions continue from what the cache holds).
     *
     * @return the attention output rows, before the residual
     */
    float[] attend(int layer, long sequenceId, float[] normedHidden, int tokens);

    /** Tokens cached for the sequence (the position of its next token); 0 if unknown. */
    int cachedTokens(long sequenceId);

    /** Forgets the sequence's cache: on finish or cancel. */
    void release(long sequenceId);

    @Override
    default void close() {
    }
}

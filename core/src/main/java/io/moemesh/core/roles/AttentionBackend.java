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

    /**
     * One layer for a step batch of several sequences, their rows concatenated in {@code normedRows}. The result
     * is exactly what {@link #attend(int, long, float[], int)} gives each sequence alone; a remote backend sends
     * the sequences together so that the step pays one round trip per layer, not one per sequence.
     *
     * @return [rows, hidden] attention outputs in the same row order
     */
    default float[] attend(int layer, java.util.List<SequenceRows> batch, float[] normedRows, int hidden) {
        if (batch.size() == 1) {
            return attend(layer, batch.get(0).sequenceId(), normedRows, batch.get(0).tokens());
        }
        float[] out = io.moemesh.core.kernel.Scratch.floats(io.moemesh.core.kernel.Scratch.Use.ATTENTION_OUT, normedRows.length);
        for (SequenceRows s : batch) {
            float[] x = io.moemesh.core.kernel.Scratch.floats(io.moemesh.core.kernel.Scratch.Use.ATTENTION_IN, s.tokens() * hidden);
            System.arraycopy(normedRows, s.firstRow() * hidden, x, 0, x.length);
            System.arraycopy(attend(layer, s.sequenceId(), x, s.tokens()), 0, out, s.firstRow() * hidden, x.length);
        }
        return out;
    }

    /** Tokens cached for the sequence (the position of its next token); 0 if unknown. */
    int cachedTokens(long sequenceId);

    /** Forgets the sequence's cache: on finish or cancel. */
    void release(long sequenceId);

    @Override
    default void close() {
    }
}

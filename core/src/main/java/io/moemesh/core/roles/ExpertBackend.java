package io.moemesh.core.roles;

/**
 * The expert role: hosts some (layer, expert) FFNs and computes, for a batch, one pre-weighted partial sum per
 * token, Σ over the token's assignments it hosts of weight · expert(x). Combining at the source means one vector
 * per token goes back, however many of its experts a host holds. {@link LocalExperts} in-process; the
 * expert-service over gRPC.
 */
public interface ExpertBackend extends AutoCloseable {
    /** @return [tokens, hidden] weighted sums */
    float[] compute(ExpertBatch batch);

    @Override
    default void close() {
    }
}

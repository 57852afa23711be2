package io.moemesh.core.roles;

import io.moemesh.core.nn.Routing;

/**
 * The feed-forward half of each decoder layer: the MoE block (gate → top-k → experts → weighted sum) on sparse
 * layers, the dense SwiGLU MLP on the others. The router-service implements it over gRPC; {@link LocalFeedForward}
 * in-process.
 */
public interface FeedForwardBackend extends AutoCloseable {
    /** @return the MLP output rows (before the residual) and, on MoE layers, the routing that produced them */
    Output forward(int layer, float[] normedHidden, int tokens);

    /**
     * The same, also returning the gate's raw logits in the routing when {@code withRouterLogits} (for tracing;
     * a remote router sends them only when asked). In-process implementations always have them.
     */
    default Output forward(int layer, float[] normedHidden, int tokens, boolean withRouterLogits) {
        return forward(layer, normedHidden, tokens);
    }

    record Output(float[] hidden, Routing routing) {
    }

    @Override
    default void close() {
    }
}

package io.moemesh.core.nn;

/** Observes the intermediate values of a forward pass (the `forward` command writes them out; serving passes none). */
public interface ForwardTrace {
    /** index 0 = embeddings, i = output of decoder layer i (1-based), the last one after the final norm. */
    default void hiddenStates(int index, float[] rows, int tokens) {
    }

    default void routing(int layer, Routing routing) {
    }
}

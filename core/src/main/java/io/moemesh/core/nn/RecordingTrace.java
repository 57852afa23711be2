package io.moemesh.core.nn;

import java.util.Map;
import java.util.TreeMap;

/** Keeps every hidden state and routing of one forward pass (for `forward`'s output and for tests). */
public final class RecordingTrace implements ForwardTrace {
    private final Map<Integer, float[]> hiddenStates = new TreeMap<>();
    private final Map<Integer, Routing> routing = new TreeMap<>();

    @Override
    public void hiddenStates(int index, float[] rows, int tokens) {
        hiddenStates.put(index, rows);
    }

    @Override
    public void routing(int layer, Routing r) {
        routing.put(layer, r);
    }

    /** index → rows, index 0 the embeddings, the last one after the final norm */
    public Map<Integer, float[]> hiddenStates() {
        return hiddenStates;
    }

    /** MoE layer → its routing */
    public Map<Integer, Routing> routing() {
        return routing;
    }
}

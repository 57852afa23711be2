package io.moemesh.core.roles;

import io.moemesh.core.config.Qwen3Config;
import io.moemesh.core.kernel.MatMul;
import io.moemesh.core.nn.SwiGluMlp;
import io.moemesh.core.tensor.VectorMath;
import io.moemesh.core.weights.Checkpoint;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiPredicate;

/**
 * Experts computed in this JVM. Loads exactly the (layer, expert) pairs {@code hosts} accepts, so an expert host
 * never reads another's weights. Tokens are grouped by expert so each expert's weights are streamed once per batch.
 */
public final class LocalExperts implements ExpertBackend {
    private final Map<Long, SwiGluMlp> experts = new ConcurrentHashMap<>();
    private final MatMul matMul;
    private final int hidden;

    public LocalExperts(Checkpoint checkpoint, BiPredicate<Integer, Integer> hosts, MatMul matMul) {
        Qwen3Config c = checkpoint.config();
        this.matMul = matMul;
        this.hidden = c.hiddenSize();
        for (int layer = 0; layer < c.numHiddenLayers(); layer++) {
            if (!c.isMoeLayer(layer)) {
                continue;
            }
            for (int e = 0; e < c.numExperts(); e++) {
                if (hosts.test(layer, e)) {
                    String prefix = "model.layers." + layer + ".mlp.experts." + e + ".";
                    experts.put(key(layer, e), SwiGluMlp.load(checkpoint, prefix, c.hiddenSize(), c.moeIntermediateSize()));
                }
            }
        }
    }

    private static long key(int layer, int expert) {
        return ((long) layer << 32) | expert;
    }

    public int size() {
        return experts.size();
    }

    @Override
    public float[] compute(ExpertBatch batch) {
        if (batch.hidden() != hidden) {
            throw new IllegalArgumentException("hidden size " + batch.hidden() + " but the model's is " + hidden);
        }
        float[] out = new float[batch.tokens() * hidden];
        // Group rows by expert, in ascending expert order (the order transformers sums in).
        Map<Integer, List<int[]>> byExpert = new java.util.TreeMap<>();
        for (int t = 0; t < batch.tokens(); t++) {
            for (int s = 0; s < batch.slots(); s++) {
                int e = batch.experts()[t * batch.slots() + s];
                if (e >= 0) {
                    byExpert.computeIfAbsent(e, k -> new ArrayList<>()).add(new int[]{t, s});
                }
            }
        }
        // All the batch's experts in one fused pass (two forks), then the weighted sums in ascending expert order.
        int n = byExpert.size(), m = 0;
        SwiGluMlp[] mlps = new SwiGluMlp[n];
        float[][] xs = new float[n][];
        int[] counts = new int[n];
        List<List<int[]>> assignments = new ArrayList<>(byExpert.values());
        for (Map.Entry<Integer, List<int[]>> group : byExpert.entrySet()) {
            SwiGluMlp mlp = experts.get(key(batch.layer(), group.getKey()));
            if (mlp == null) {
                throw new IllegalArgumentException("expert " + group.getKey() + " of layer " + batch.layer() + " is not hosted here");
            }
            List<int[]> rows = group.getValue();
            float[] x = new float[rows.size() * hidden];
            for (int i = 0; i < rows.size(); i++) {
                System.arraycopy(batch.x(), rows.get(i)[0] * hidden, x, i * hidden, hidden);
            }
            mlps[m] = mlp;
            xs[m] = x;
            counts[m++] = rows.size();
        }
        float[][] ys = SwiGluMlp.forwardAll(mlps, xs, counts, matMul);
        for (int e = 0; e < n; e++) {
            List<int[]> rows = assignments.get(e);
            for (int i = 0; i < rows.size(); i++) {
                int t = rows.get(i)[0];
                float w = batch.weights()[t * batch.slots() + rows.get(i)[1]];
                VectorMath.axpy(w, ys[e], i * hidden, out, t * hidden, hidden);
            }
        }
        return out;
    }
}

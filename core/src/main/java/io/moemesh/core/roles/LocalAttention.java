package io.moemesh.core.roles;

import io.moemesh.core.config.Qwen3Config;
import io.moemesh.core.kernel.MatMul;
import io.moemesh.core.nn.Attention;
import io.moemesh.core.nn.KvCache;
import io.moemesh.core.nn.RotaryEmbedding;
import io.moemesh.core.weights.Checkpoint;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** All attention layers in this JVM, with a KV cache per (sequence, layer). */
public final class LocalAttention implements AttentionBackend {
    private final Attention[] layers;
    private final int kvDim;
    private final Map<Long, KvCache[]> caches = new ConcurrentHashMap<>();

    public LocalAttention(Checkpoint checkpoint, MatMul matMul) {
        this(checkpoint, layer -> true, matMul);
    }

    /** Loads only the layers {@code owns} accepts (an attention-service may own a subset). */
    public LocalAttention(Checkpoint checkpoint, java.util.function.IntPredicate owns, MatMul matMul) {
        Qwen3Config c = checkpoint.config();
        RotaryEmbedding rope = new RotaryEmbedding(c);
        this.layers = new Attention[c.numHiddenLayers()];
        for (int l = 0; l < layers.length; l++) {
            if (owns.test(l)) {
                layers[l] = Attention.load(checkpoint, l, rope, matMul);
            }
        }
        this.kvDim = c.kvDim();
    }

    public boolean owns(int layer) {
        return layer >= 0 && layer < layers.length && layers[layer] != null;
    }

    /** Tokens cached for the sequence at one layer (0 if none). */
    public int cachedTokens(long sequenceId, int layer) {
        KvCache[] perLayer = caches.get(sequenceId);
        return perLayer == null || perLayer[layer] == null ? 0 : perLayer[layer].length();
    }

    /** @return whether the sequence had caches here */
    public boolean releaseIfPresent(long sequenceId) {
        return caches.remove(sequenceId) != null;
    }

    @Override
    public float[] attend(int layer, long sequenceId, float[] normedHidden, int tokens) {
        if (!owns(layer)) {
            throw new IllegalArgumentException(layer < 0 || layer >= layers.length
                    ? "layer " + layer + " outside 0.." + (layers.length - 1) : "layer " + layer + " is not owned here");
        }
        KvCache[] perLayer = caches.computeIfAbsent(sequenceId, id -> new KvCache[layers.length]);
        if (perLayer[layer] == null) {
            perLayer[layer] = new KvCache(kvDim);
        }
        return layers[layer].forward(normedHidden, tokens, perLayer[layer]);
    }

    @Override
    public int cachedTokens(long sequenceId) {
        KvCache[] perLayer = caches.get(sequenceId);
        if (perLayer == null) {
            return 0;
        }
        int max = 0;
        for (KvCache cache : perLayer) {
            max = Math.max(max, cache == null ? 0 : cache.length());
        }
        return max;
    }

    /** Sequences holding a KV cache here: 0 once every generation has ended or been cancelled. */
    public int cachedSequences() {
        return caches.size();
    }

    @Override
    public void release(long sequenceId) {
        caches.remove(sequenceId);
    }
}

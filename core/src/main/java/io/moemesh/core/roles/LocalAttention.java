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
        Qwen3Config c = checkpoint.config();
        RotaryEmbedding rope = new RotaryEmbedding(c);
        this.layers = new Attention[c.numHiddenLayers()];
        for (int l = 0; l < layers.length; l++) {
            layers[l] = Attention.load(checkpoint, l, rope, matMul);
        }
        this.kvDim = c.kvDim();
    }

    @Override
    public float[] attend(int layer, long sequenceId, float[] normedHidden, int tokens) {
        if (layer < 0 || layer >= layers.length) {
            throw new IllegalArgumentException("layer " + layer + " outside 0.." + (layers.length - 1));
        }
        KvCache[] perLayer = caches.computeIfAbsent(sequenceId, id -> new KvCache[layers.length]);
        if (perLayer[layer] == null) {
            perLayer[layer] = new KvCache(kvDim, Math.max(16, tokens));
        }
        return layers[layer].forward(normedHidden, tokens, perLayer[layer]);
    }

    @Override
    public int cachedTokens(long sequenceId) {
        KvCache[] perLayer = caches.get(sequenceId);
        return perLayer == null || perLayer[perLayer.length - 1] == null ? 0 : perLayer[perLayer.length - 1].length();
    }

    @Override
    public void release(long sequenceId) {
        caches.remove(sequenceId);
    }

    public int liveSequences() {
        return caches.size();
    }
}

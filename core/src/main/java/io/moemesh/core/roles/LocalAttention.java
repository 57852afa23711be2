package io.moemesh.core.roles;

import io.moemesh.core.config.Qwen3Config;
import io.moemesh.core.kernel.MatMul;
import io.moemesh.core.nn.Attention;
import io.moemesh.core.nn.KvCache;
import io.moemesh.core.nn.KvPages;
import io.moemesh.core.nn.RotaryEmbedding;
import io.moemesh.core.weights.Checkpoint;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * All attention layers in this JVM, with a KV cache per (sequence, layer), whose pages are recycled ({@link KvPages}).
 *
 * <p>A sequence's attention and its release may come at once (a cancel reaching the attention-service while a step
 * of the same sequence runs). Each takes the sequence's lock, so the pages go back to the pool only after the step
 * that reads them is done; otherwise another sequence could take a page while it is still written.
 */
public final class LocalAttention implements AttentionBackend {
    private final Attention[] layers;
    private final KvPages pages;
    private final Map<Long, SequenceCaches> caches = new ConcurrentHashMap<>();
    /** A field, not a lambda at the call: a capturing lambda would be a new object on every layer's step. */
    private final Function<Long, SequenceCaches> newSequence;

    /** A sequence's caches, one per layer as it is first attended; guarded by itself. */
    private static final class SequenceCaches {
        final KvCache[] layers;
        /** Set under the lock when the pages went back: a step that finds it set looks the sequence up again. */
        boolean released;

        SequenceCaches(int layers) {
            this.layers = new KvCache[layers];
        }
    }

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
        this.pages = KvPages.withDefaultLimit(c.kvDim());
        this.newSequence = id -> new SequenceCaches(layers.length);
    }

    /** The pool this JVM's caches take their pages from. */
    public KvPages pages() {
        return pages;
    }

    public boolean owns(int layer) {
        return layer >= 0 && layer < layers.length && layers[layer] != null;
    }

    /** Tokens cached for the sequence at one layer (0 if none). */
    public int cachedTokens(long sequenceId, int layer) {
        SequenceCaches sequence = caches.get(sequenceId);
        return sequence == null || sequence.layers[layer] == null ? 0 : sequence.layers[layer].length();
    }

    /** @return whether the sequence had caches here */
    public boolean releaseIfPresent(long sequenceId) {
        SequenceCaches sequence = caches.remove(sequenceId);
        if (sequence == null) {
            return false;
        }
        synchronized (sequence) {
            sequence.released = true;
            for (KvCache cache : sequence.layers) {
                if (cache != null) {
                    cache.release();
                }
            }
        }
        return true;
    }

    @Override
    public float[] attend(int layer, long sequenceId, float[] normedHidden, int tokens) {
        if (!owns(layer)) {
            throw new IllegalArgumentException(layer < 0 || layer >= layers.length
                    ? "layer " + layer + " outside 0.." + (layers.length - 1) : "layer " + layer + " is not owned here");
        }
        while (true) {
            SequenceCaches sequence = caches.computeIfAbsent(sequenceId, newSequence);
            synchronized (sequence) {
                if (sequence.released) {
                    continue;   // released between the lookup and the lock: as if this step came after the release
                }
                if (sequence.layers[layer] == null) {
                    sequence.layers[layer] = new KvCache(pages);
                }
                return layers[layer].forward(normedHidden, tokens, sequence.layers[layer]);
            }
        }
    }

    @Override
    public int cachedTokens(long sequenceId) {
        SequenceCaches sequence = caches.get(sequenceId);
        if (sequence == null) {
            return 0;
        }
        int max = 0;
        for (KvCache cache : sequence.layers) {
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
        releaseIfPresent(sequenceId);
    }
}

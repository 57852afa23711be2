package io.moemesh.core.nn;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Pages hold every position's key and value where keyPage/keyIndex and valuePage/offset say, across page boundaries. */
class KvCacheTest {
    @Test
    void everyPositionIsWhereThePagesSay() {
        int kvDim = 6, positions = 5 * KvCache.PAGE + 3;
        KvCache cache = new KvCache(new KvPages(kvDim, 0));
        float[] k = new float[kvDim + 2], v = new float[kvDim + 1];
        for (int p = 0; p < positions; p++) {
            for (int i = 0; i < kvDim; i++) {
                k[2 + i] = p * 100 + i;
                v[1 + i] = -(p * 100 + i);
            }
            cache.append(k, 2, v, 1);
        }
        assertEquals(positions, cache.length());
        for (int p = 0; p < positions; p++) {
            for (int i = 0; i < kvDim; i++) {
                assertEquals(p * 100 + i, cache.keyPage(p)[KvCache.keyIndex(i, p)], "key " + p + "," + i);
                assertEquals(-(p * 100 + i), cache.valuePage(p)[cache.offset(p) + i], "value " + p + "," + i);
            }
        }
    }

    /** Decoding past a page boundary from the cache gives the logits of recomputing the whole prefix. */
    @Test
    void decodingAcrossPagesMatchesFullRecomputation() {
        try (var ck = io.moemesh.core.weights.Checkpoint.open(io.moemesh.core.ReferenceFixture.modelDir("tiny-qwen3-moe"),
                io.moemesh.core.weights.LoadMode.MEMORY);
             Qwen3Model model = Qwen3Model.load(ck, io.moemesh.core.kernel.MatMul.vector())) {
            int[] prompt = {11, 22, 33, 44, 55};
            var result = new io.moemesh.core.engine.Generator(model).generate(prompt, 2 * KvCache.PAGE + 10,
                    io.moemesh.core.sampling.SamplingParams.GREEDY, java.util.Set.of(), t -> true);
            int[] all = result.allIds();
            for (int at : new int[]{KvCache.PAGE + 1, 2 * KvCache.PAGE + 7}) {
                float[] logits = model.forward(9_000 + at, java.util.Arrays.copyOf(all, at), false, null);
                model.release(9_000 + at);
                assertEquals(io.moemesh.core.sampling.Sampler.argmax(logits), all[at], "token at position " + at);
            }
        }
    }
}

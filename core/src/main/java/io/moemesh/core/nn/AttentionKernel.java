package io.moemesh.core.nn;

/**
 * The inner loops of causal grouped-query attention: softmax(q · Kᵀ · scale) · V over the first {@code visible}
 * positions of a KV cache, for query heads that share one KV head. A vector kernel ({@link #vector}) and its scalar
 * twin ({@link #reference}), which tests compare on random caches.
 */
public interface AttentionKernel {
    /**
     * @param q        the query heads, head i at {@code q[qOffset + i·headDim ...]}, after QK-norm and RoPE
     * @param heads    how many query heads, all of them reading the same KV head
     * @param kvOffset the first element of that KV head in a position's key and value (kvHead · headDim)
     * @param visible  how many positions they see, from 0: their own and every one before it
     * @param out      receives head i's output at {@code out[outOffset + i·headDim ...]}
     */
    void attend(float[] q, int qOffset, int heads, KvCache cache, int kvOffset, int headDim, int visible, float scale,
                float[] out, int outOffset);

    /** The SIMD kernel the engine runs. */
    static AttentionKernel vector() {
        return VectorAttentionKernel.INSTANCE;
    }

    /** The scalar twin: the definition, one position and one element at a time. */
    static AttentionKernel reference() {
        return ScalarAttentionKernel.INSTANCE;
    }
}

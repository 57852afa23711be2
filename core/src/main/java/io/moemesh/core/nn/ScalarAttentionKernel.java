package io.moemesh.core.nn;

/** {@link AttentionKernel}'s scalar twin: scores, their softmax, then the weighted sum of values, as written. */
final class ScalarAttentionKernel implements AttentionKernel {
    static final ScalarAttentionKernel INSTANCE = new ScalarAttentionKernel();

    private ScalarAttentionKernel() {
    }

    @Override
    public void attend(float[] q, int qOffset, int heads, KvCache cache, int kvOffset, int headDim, int visible,
                       float scale, float[] out, int outOffset) {
        for (int i = 0; i < heads; i++) {
            attendOne(q, qOffset + i * headDim, cache, kvOffset, headDim, visible, scale, out, outOffset + i * headDim);
        }
    }

    private static void attendOne(float[] q, int qOffset, KvCache cache, int kvOffset, int headDim, int visible,
                                  float scale, float[] out, int outOffset) {
        float[] weights = new float[visible];
        float max = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < visible; j++) {
            float[] keys = cache.keyPage(j);
            float dot = 0;
            for (int d = 0; d < headDim; d++) {
                dot += q[qOffset + d] * keys[KvCache.keyIndex(kvOffset + d, j)];
            }
            weights[j] = dot * scale;
            max = Math.max(max, weights[j]);
        }
        float sum = 0;
        for (int j = 0; j < visible; j++) {
            weights[j] = (float) Math.exp(weights[j] - max);
            sum += weights[j];
        }
        for (int d = 0; d < headDim; d++) {
            float o = 0;
            for (int j = 0; j < visible; j++) {
                o += weights[j] * cache.valuePage(j)[cache.offset(j) + kvOffset + d];
            }
            out[outOffset + d] = o / sum;
        }
    }
}

package io.moemesh.core.nn;

import java.util.Arrays;

/** Keys and values of one sequence at one layer, post-RoPE, growing as tokens arrive. */
public final class KvCache {
    private final int kvDim;
    private float[] keys;
    private float[] values;
    private int length;

    public KvCache(int kvDim, int initialCapacity) {
        this.kvDim = kvDim;
        this.keys = new float[Math.max(1, initialCapacity) * kvDim];
        this.values = new float[Math.max(1, initialCapacity) * kvDim];
    }

    public int length() {
        return length;
    }

    public float[] keys() {
        return keys;
    }

    public float[] values() {
        return values;
    }

    public void append(float[] k, int kOffset, float[] v, int vOffset) {
        if ((length + 1) * kvDim > keys.length) {
            int capacity = Math.max(length + 1, length * 2);
            keys = Arrays.copyOf(keys, capacity * kvDim);
            values = Arrays.copyOf(values, capacity * kvDim);
        }
        System.arraycopy(k, kOffset, keys, length * kvDim, kvDim);
        System.arraycopy(v, vOffset, values, length * kvDim, kvDim);
        length++;
    }
}

package io.moemesh.core.kernel;

import java.util.Arrays;

/**
 * Per-thread working arrays for the decode path, so that a step in steady state allocates no activations: every
 * use (the Q projection, a layer's normed rows, the experts' gathered inputs…) asks for an array of the length it
 * needs and gets, after the first step, the same zeroed array again.
 * <p>
 * The rule that keeps this safe: an array from a use is valid until the same thread asks for that use again, so a
 * use's result must be consumed (added into the residual, encoded for the wire, copied) before the next call of the
 * same code on the same thread. Results that outlive a call — logits handed to callers, traces — are not scratch.
 */
public final class Scratch {
    /** What an array is for: one value per call site on the decode path. */
    public enum Use {
        LAYER_NORMED, STEP_HIDDEN, STEP_LAST_ROWS, STEP_LOGITS,
        ATTENTION_IN, ATTENTION_OUT, ATTENTION_Q, ATTENTION_K, ATTENTION_V, ATTENTION_HEADS, ATTENTION_O,
        ATTENTION_SCORES, ATTENTION_SOFTMAX, ROPE_COS, ROPE_SIN, ROUTER_LOGITS, ROUTER_IDS, ROUTER_WEIGHTS, ROUTER_P,
        EXPERTS_OUT, EXPERTS_X, EXPERTS_H, EXPERTS_Y, EXPERTS_GATE, EXPERTS_UP, EXPERTS_ROWS, EXPERTS_START,
        EXPERTS_COUNT, EXPERTS_TOKEN, EXPERTS_SLOT, EXPERTS_INTERMEDIATE, EXPERTS_HIDDEN, EXPERTS_H_START,
        EXPERTS_UP_STARTS, EXPERTS_DOWN_STARTS
    }

    /** Arrays kept per use: a use sees a few lengths (prefill chunks, batch sizes) and keeps the latest ones. */
    private static final int KEPT = 4;
    private static final ThreadLocal<Scratch> LOCAL = ThreadLocal.withInitial(Scratch::new);

    private final float[][][] floats = new float[Use.values().length][KEPT][];
    private final int[][][] ints = new int[Use.values().length][KEPT][];

    private Scratch() {
    }

    /** A zeroed float array of exactly {@code length}, this thread's for {@code use}. */
    public static float[] floats(Use use, int length) {
        float[][] kept = LOCAL.get().floats[use.ordinal()];
        for (int i = 0; i < KEPT; i++) {
            float[] a = kept[i];
            if (a != null && a.length == length) {
                Arrays.fill(a, 0f);
                return a;
            }
        }
        float[] fresh = new float[length];
        System.arraycopy(kept, 0, kept, 1, KEPT - 1);
        kept[0] = fresh;
        return fresh;
    }

    /**
     * An array of at least {@code length}, this thread's for {@code use}, as the last call left it: for callers that
     * write every element they read. Prefill gives each layer's experts a different number of rows, so arrays of
     * exact lengths were new ones at nearly every layer (half of what a prefill allocated, in a profile); these
     * only grow.
     */
    public static float[] floatsAtLeast(Use use, int length) {
        float[][] kept = LOCAL.get().floats[use.ordinal()];
        if (kept[0] == null || kept[0].length < length) {
            kept[0] = new float[length];
        }
        return kept[0];
    }

    /** A zeroed int array of exactly {@code length}, this thread's for {@code use}. */
    public static int[] ints(Use use, int length) {
        int[][] kept = LOCAL.get().ints[use.ordinal()];
        for (int i = 0; i < KEPT; i++) {
            int[] a = kept[i];
            if (a != null && a.length == length) {
                Arrays.fill(a, 0);
                return a;
            }
        }
        int[] fresh = new int[length];
        System.arraycopy(kept, 0, kept, 1, KEPT - 1);
        kept[0] = fresh;
        return fresh;
    }
}

package io.moemesh.core.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;


/** Vector kernels over float arrays (activations), each beside the scalar loop it replaces. */
public final class VectorMath {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    private static final int LANES = F.length();
    /**
     * Lane i ↔ i ^ step, for step = 8, 4, 2, 1 where the species has that many lanes: a fixed pairwise tree over the
     * lanes. Constants, one per step, not a list to loop over: a kernel sums its lanes once per row, and the loop
     * over a list loads each shuffle from an object (a profile put as many samples there as in q4's dot; an A/B of
     * the two showed no difference beyond this machine's noise, so this is for clarity more than speed).
     */
    private static final VectorShuffle<Float> FOLD_8 = fold(8), FOLD_4 = fold(4), FOLD_2 = fold(2), FOLD_1 = fold(1);

    private VectorMath() {
    }

    private static VectorShuffle<Float> fold(int step) {
        return step < LANES ? VectorShuffle.fromOp(F, i -> i ^ step) : null;
    }

    /**
     * The sum of the lanes, always in the same order. Not {@code reduceLanes(ADD)}: its order is unspecified and
     * differs between the interpreter and compiled code, so one dot product could give two answers in one run —
     * and a token's logits would depend on when it ran and with which batch.
     */
    public static float sumLanes(FloatVector v) {
        if (v.species() != F || LANES > 16) {
            float sum = 0;
            for (float lane : v.toArray()) {
                sum += lane;
            }
            return sum;
        }
        // LANES is a constant: the tests fold away, and the folds run from the widest, step = LANES / 2, down
        if (LANES > 8) {
            v = v.add(v.rearrange(FOLD_8));
        }
        if (LANES > 4) {
            v = v.add(v.rearrange(FOLD_4));
        }
        if (LANES > 2) {
            v = v.add(v.rearrange(FOLD_2));
        }
        if (LANES > 1) {
            v = v.add(v.rearrange(FOLD_1));
        }
        return v.lane(0);
    }

    /**
     * {@link #sumLanes(FloatVector)} of the vector stored at {@code lanes[offset ...]}: the same sum, bit for bit.
     * For kernels with many results: passed as vectors, the calls past the JIT's inlining budget box them.
     */
    public static float sumLanes(float[] lanes, int offset) {
        return sumLanes(FloatVector.fromArray(F, lanes, offset));
    }

    public static float dot(float[] a, int aOffset, float[] b, int bOffset, int n) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (int upper = F.loopBound(n); i < upper; i += F.length()) {
            acc = FloatVector.fromArray(F, a, aOffset + i).fma(FloatVector.fromArray(F, b, bOffset + i), acc);
        }
        return finishDot(sumLanes(acc), a, aOffset, b, bOffset, i, n);
    }

    /**
     * {@link #dot} of {@code a} with four vectors, {@code b[bOffset + k·stride ...]} for k = 0..3, into out[0..3]:
     * each exactly dot's float (its own chain of multiply-adds in the same order), a's vectors loaded once for the
     * four, and the four chains hide each other's latency.
     */
    public static void dot4(float[] a, int aOffset, float[] b, int bOffset, int stride, int n, float[] out) {
        FloatVector acc0 = FloatVector.zero(F), acc1 = acc0, acc2 = acc0, acc3 = acc0;
        int b1 = bOffset + stride, b2 = b1 + stride, b3 = b2 + stride, i = 0;
        for (int upper = F.loopBound(n); i < upper; i += F.length()) {
            FloatVector w = FloatVector.fromArray(F, a, aOffset + i);
            acc0 = w.fma(FloatVector.fromArray(F, b, bOffset + i), acc0);
            acc1 = w.fma(FloatVector.fromArray(F, b, b1 + i), acc1);
            acc2 = w.fma(FloatVector.fromArray(F, b, b2 + i), acc2);
            acc3 = w.fma(FloatVector.fromArray(F, b, b3 + i), acc3);
        }
        out[0] = finishDot(sumLanes(acc0), a, aOffset, b, bOffset, i, n);
        out[1] = finishDot(sumLanes(acc1), a, aOffset, b, b1, i, n);
        out[2] = finishDot(sumLanes(acc2), a, aOffset, b, b2, i, n);
        out[3] = finishDot(sumLanes(acc3), a, aOffset, b, b3, i, n);
    }

    /** {@link #dot}'s scalar tail: columns [from, n) added to the lanes' sum one by one. */
    private static float finishDot(float sum, float[] a, int aOffset, float[] b, int bOffset, int from, int n) {
        for (int i = from; i < n; i++) {
            sum += a[aOffset + i] * b[bOffset + i];
        }
        return sum;
    }

    /** y[yOffset..] += a · x[xOffset..] */
    public static void axpy(float a, float[] x, int xOffset, float[] y, int yOffset, int n) {
        int i = 0;
        FloatVector va = FloatVector.broadcast(F, a);
        for (int upper = F.loopBound(n); i < upper; i += F.length()) {
            FloatVector.fromArray(F, x, xOffset + i).fma(va, FloatVector.fromArray(F, y, yOffset + i))
                    .intoArray(y, yOffset + i);
        }
        for (; i < n; i++) {
            y[yOffset + i] += a * x[xOffset + i];
        }
    }

    /** {@code out[i] = w[i] · (x[xOffset + i] · s)}: RMSNorm's scaling, in the same float operations as the scalar loop. */
    public static void scaleThenMultiply(float[] x, int xOffset, float s, float[] w, float[] out, int outOffset, int n) {
        int i = 0;
        for (int upper = F.loopBound(n); i < upper; i += F.length()) {
            FloatVector.fromArray(F, w, i).mul(FloatVector.fromArray(F, x, xOffset + i).mul(s))
                    .intoArray(out, outOffset + i);
        }
        for (; i < n; i++) {
            out[outOffset + i] = w[i] * (x[xOffset + i] * s);
        }
    }

    /**
     * RoPE's rotation of one head in the rotate-half layout: (a, b) = (x[i], x[i + half]) becomes
     * (a·cos − b·sin, b·cos + a·sin). Multiplies and adds stay separate (no FMA), so the result is the scalar one.
     */
    public static void rotateHalves(float[] x, int base, int half, float[] cos, float[] sin) {
        int i = 0;
        for (int upper = F.loopBound(half); i < upper; i += F.length()) {
            FloatVector a = FloatVector.fromArray(F, x, base + i), b = FloatVector.fromArray(F, x, base + half + i);
            FloatVector c = FloatVector.fromArray(F, cos, i), s = FloatVector.fromArray(F, sin, i);
            a.mul(c).sub(b.mul(s)).intoArray(x, base + i);
            b.mul(c).add(a.mul(s)).intoArray(x, base + half + i);
        }
        for (; i < half; i++) {
            float a = x[base + i], b = x[base + half + i];
            x[base + i] = a * cos[i] - b * sin[i];
            x[base + half + i] = b * cos[i] + a * sin[i];
        }
    }
}

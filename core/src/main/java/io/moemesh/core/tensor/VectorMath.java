package io.moemesh.core.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

import java.util.ArrayList;
import java.util.List;

/** Vector kernels over float arrays (activations), each beside the scalar loop it replaces. */
public final class VectorMath {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    /** Lane i ↔ i ^ step, for step = length/2 … 1: a fixed pairwise tree over the lanes. */
    private static final List<VectorShuffle<Float>> FOLDS = folds();

    private VectorMath() {
    }

    private static List<VectorShuffle<Float>> folds() {
        List<VectorShuffle<Float>> folds = new ArrayList<>();
        for (int step = F.length() / 2; step >= 1; step /= 2) {
            int s = step;
            folds.add(VectorShuffle.fromOp(F, i -> i ^ s));
        }
        return folds;
    }

    /**
     * The sum of the lanes, always in the same order. Not {@code reduceLanes(ADD)}: its order is unspecified and
     * differs between the interpreter and compiled code, so one dot product could give two answers in one run —
     * and a token's logits would depend on when it ran and with which batch.
     */
    public static float sumLanes(FloatVector v) {
        if (v.species() != F) {
            float sum = 0;
            for (float lane : v.toArray()) {
                sum += lane;
            }
            return sum;
        }
        for (VectorShuffle<Float> fold : FOLDS) {
            v = v.add(v.rearrange(fold));
        }
        return v.lane(0);
    }

    public static float dot(float[] a, int aOffset, float[] b, int bOffset, int n) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (int upper = F.loopBound(n); i < upper; i += F.length()) {
            acc = FloatVector.fromArray(F, a, aOffset + i).fma(FloatVector.fromArray(F, b, bOffset + i), acc);
        }
        float sum = sumLanes(acc);
        for (; i < n; i++) {
            sum += a[aOffset + i] * b[bOffset + i];
        }
        return sum;
    }

    private static final ThreadLocal<float[]> ROW = ThreadLocal.withInitial(() -> new float[0]);

    /**
     * For formats without a vector path of their own: widen one row into a per-thread buffer, then the f32 dot.
     * Costs a second pass over the row, fine for formats that are rare on the decode path.
     */
    public static float dotOfDequantizedRow(Matrix m, int row, float[] x, int xOffset) {
        float[] buf = ROW.get();
        if (buf.length < m.cols()) {
            buf = new float[m.cols()];
            ROW.set(buf);
        }
        m.row(row, buf, 0);
        return dot(buf, 0, x, xOffset, m.cols());
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

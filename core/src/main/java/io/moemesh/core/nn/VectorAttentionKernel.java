package io.moemesh.core.nn;

import io.moemesh.core.kernel.Scratch;
import io.moemesh.core.tensor.VectorMath;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;

import static io.moemesh.core.nn.KvCache.PAGE;

/**
 * {@link AttentionKernel} in SIMD lanes, a page of the cache at a time for all the query heads of a KV head, so that
 * each page's keys and values (32 KB each for heads of 128) are read from memory once and from L1 by every other
 * head; the softmax is taken online, page by page (each head's running max and sum, its output rescaled when the max
 * grows), as flash attention does. For each page and head:
 * <ol>
 * <li><b>Scores.</b> Keys are stored transposed ({@link KvCache#keyIndex}), so a vector holds one element of L
 * consecutive keys: q·k for L positions is one broadcast of q[d] and one fused multiply-add per element, and no sum
 * across lanes. Four such vectors cover 4·L positions, and even and odd elements go to separate accumulators: eight
 * independent chains, enough to keep both multiply-add units busy through their latency.</li>
 * <li><b>Softmax.</b> The page's max ({@link #pageMax}: one by one), then exp(s − max) and Σ in whole vectors; the
 * end of a partly filled page is set to −∞ first, which exp turns into weights of (nearly) 0.</li>
 * <li><b>Values.</b> Σ_j e_j · v_j for four vectors of the head's elements, even and odd positions in separate
 * accumulators (eight chains again), added to the head's output kept in {@code out}; divided by Σe at the end.</li>
 * </ol>
 * The loops they replace went position by position, one head at a time: a sum across lanes per score, a scalar exp,
 * the output reloaded and stored for every position, and each head of a group reading the whole KV head again.
 */
final class VectorAttentionKernel implements AttentionKernel {
    static final VectorAttentionKernel INSTANCE = new VectorAttentionKernel();
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    private static final int L = F.length();
    /** Positions one call of {@link #scoreFour} scores. */
    private static final int SPAN = 4 * L;
    /** Rounds a float of magnitude below 2^22 to the nearest integer: added to 1.5 · 2^23, its fraction is gone. */
    private static final float ROUNDING = 0x1.8p23f;
    private static final float LOG2_E = 1.44269504088896341f, LN2_HIGH = 0.693359375f, LN2_LOW = -2.12194440e-4f;

    static {
        if (PAGE % SPAN != 0) {
            throw new IllegalStateException("a KV page of " + PAGE + " positions is not a whole number of " + SPAN);
        }
    }

    private VectorAttentionKernel() {
    }

    @Override
    public void attend(float[] q, int qOffset, int heads, KvCache cache, int kvOffset, int headDim, int visible,
                       float scale, float[] out, int outOffset) {
        float[] weights = Scratch.floatsAtLeast(Scratch.Use.ATTENTION_SCORES, PAGE);
        // per head: the largest score so far and the sum of exp(score − it) so far
        float[] running = Scratch.floatsAtLeast(Scratch.Use.ATTENTION_SOFTMAX, 2 * heads);
        Arrays.fill(running, 0, heads, Float.NEGATIVE_INFINITY);
        Arrays.fill(running, heads, 2 * heads, 0f);
        Arrays.fill(out, outOffset, outOffset + heads * headDim, 0f);
        for (int first = 0; first < visible; first += PAGE) {
            int count = Math.min(PAGE, visible - first);
            float[] keys = cache.keyPage(first);
            for (int i = 0; i < heads; i++) {
                for (int c = 0; c < count; c += SPAN) {
                    scoreFour(q, qOffset + i * headDim, keys, KvCache.keyIndex(kvOffset, c), headDim, scale, weights, c);
                }
                Arrays.fill(weights, count, PAGE, Float.NEGATIVE_INFINITY);
                float max = Math.max(running[i], pageMax(weights));
                // what the sums so far are worth under the new max: exp(−∞) = 0 before the first page
                float rescale = (float) Math.exp(running[i] - max);
                running[i] = max;
                running[heads + i] = running[heads + i] * rescale + exponentials(weights, max);
                weigh(weights, cache, first, count, kvOffset, headDim, rescale, out, outOffset + i * headDim);
            }
        }
        for (int i = 0; i < heads; i++) {
            float inv = 1f / running[heads + i];
            for (int d = 0, at = outOffset + i * headDim; d < headDim; d++) {
                out[at + d] *= inv;
            }
        }
    }

    /**
     * The largest of a page's scores, one by one: in vectors (a max per vector, then across lanes) the kernel ran
     * ~10% faster alone, but in some JVMs of {@code bench decode} at one thread these two operations stayed in their
     * uncompiled form after warm-up (float arrays allocated for each, 170–510 KB a decoded token, 2 runs of 7).
     */
    private static float pageMax(float[] scores) {
        float max = scores[0];
        for (int j = 1; j < PAGE; j++) {
            max = Math.max(max, scores[j]);
        }
        return max;
    }

    /** Replaces a page's scores by exp(s − max) ({@link #exp}); returns their sum. */
    private static float exponentials(float[] scores, float max) {
        FloatVector sum = FloatVector.zero(F);
        for (int j = 0; j < PAGE; j += L) {
            exp(scores, j, max);
            sum = sum.add(FloatVector.fromArray(F, scores, j));
        }
        return VectorMath.sumLanes(sum);   // in a fixed order: reduceLanes' differs compiled and not
    }

    /**
     * a[at, at + L) = e^(a − shift) for a − shift ≤ 0 (−∞ included), as Cephes' expf computes it: x = n·ln 2 + r with
     * |r| ≤ ln 2 / 2, e^r by a polynomial of degree 7 (about 1 ulp), times 2^n put into the exponent's bits. Below −87
     * it gives e^-87 (1.6e-38) rather than 0: a weight no sum that holds the max's e^0 = 1 can notice.
     * <ul>
     * <li>Not {@code lanewise(EXP)}: that one is a native routine once compiled but {@link Math#exp} per lane before,
     * and the two differ in the last bit, so the same attention gave different outputs early and late in a JVM's life
     * (LocalAttentionPagesTest). These are all operations IEEE 754 defines exactly.</li>
     * <li>Arrays in and out, no vector: a vector passed to or returned from a method the JIT does not inline is boxed,
     * and in one JVM of two this one was not (4.9 MB allocated a decoded token at a 1,024-token context).</li>
     * </ul>
     */
    static void exp(float[] a, int at, float shift) {
        FloatVector x = FloatVector.fromArray(F, a, at).sub(shift).max(-87f);
        FloatVector n = x.fma(LOG2_E, ROUNDING).sub(ROUNDING);
        FloatVector r = n.fma(FloatVector.broadcast(F, -LN2_HIGH), x);
        r = n.fma(FloatVector.broadcast(F, -LN2_LOW), r);
        FloatVector p = FloatVector.broadcast(F, 1.9875691500e-4f);
        p = p.fma(r, FloatVector.broadcast(F, 1.3981999507e-3f));
        p = p.fma(r, FloatVector.broadcast(F, 8.3334519073e-3f));
        p = p.fma(r, FloatVector.broadcast(F, 4.1665795894e-2f));
        p = p.fma(r, FloatVector.broadcast(F, 1.6666665459e-1f));
        p = p.fma(r, FloatVector.broadcast(F, 5.0000001201e-1f));
        p = p.fma(r.mul(r), r).add(1f);
        IntVector exponent = ((IntVector) n.convertShape(VectorOperators.F2I, I, 0)).add(127)
                .lanewise(VectorOperators.LSHL, 23);
        p.mul(exponent.reinterpretAsFloats()).intoArray(a, at);
    }

    /**
     * A head's output (at {@code out[outOffset ...]}) times {@code rescale}, plus Σ_j weights[j] · value_j over the
     * page's {@code count} positions from {@code first}: four vectors of elements at a time, then one, then the
     * elements left one by one.
     */
    private static void weigh(float[] weights, KvCache cache, int first, int count, int kvOffset, int headDim,
                              float rescale, float[] out, int outOffset) {
        float[] values = cache.valuePage(first);
        int stride = cache.kvDim(), at = cache.offset(first) + kvOffset;
        int element = 0, whole = headDim - headDim % L;
        for (; element + 4 * L <= whole; element += 4 * L) {
            weighFour(weights, values, at + element, stride, count, rescale, out, outOffset + element);
        }
        for (; element < whole; element += L) {
            weighOne(weights, values, at + element, stride, count, rescale, out, outOffset + element);
        }
        for (; element < headDim; element++) {
            float o = out[outOffset + element] * rescale;
            for (int j = 0; j < count; j++) {
                o = Math.fma(weights[j], values[at + element + j * stride], o);
            }
            out[outOffset + element] = o;
        }
    }

    /**
     * q · k × scale of the 4·L positions whose element 0 is at {@code keys[at ...]} (element d a page further
     * along per d) into {@code scores[to ...]}.
     */
    private static void scoreFour(float[] q, int qOffset, float[] keys, int at, int headDim, float scale,
                                  float[] scores, int to) {
        FloatVector zero = FloatVector.zero(F), a0 = zero, a1 = zero, a2 = zero, a3 = zero;
        FloatVector b0 = zero, b1 = zero, b2 = zero, b3 = zero, x;
        int d = 0;
        for (; d + 2 <= headDim; d += 2, at += 2 * PAGE) {
            x = FloatVector.broadcast(F, q[qOffset + d]);
            a0 = FloatVector.fromArray(F, keys, at).fma(x, a0);
            a1 = FloatVector.fromArray(F, keys, at + L).fma(x, a1);
            a2 = FloatVector.fromArray(F, keys, at + 2 * L).fma(x, a2);
            a3 = FloatVector.fromArray(F, keys, at + 3 * L).fma(x, a3);
            x = FloatVector.broadcast(F, q[qOffset + d + 1]);
            b0 = FloatVector.fromArray(F, keys, at + PAGE).fma(x, b0);
            b1 = FloatVector.fromArray(F, keys, at + PAGE + L).fma(x, b1);
            b2 = FloatVector.fromArray(F, keys, at + PAGE + 2 * L).fma(x, b2);
            b3 = FloatVector.fromArray(F, keys, at + PAGE + 3 * L).fma(x, b3);
        }
        if (d < headDim) {
            x = FloatVector.broadcast(F, q[qOffset + d]);
            a0 = FloatVector.fromArray(F, keys, at).fma(x, a0);
            a1 = FloatVector.fromArray(F, keys, at + L).fma(x, a1);
            a2 = FloatVector.fromArray(F, keys, at + 2 * L).fma(x, a2);
            a3 = FloatVector.fromArray(F, keys, at + 3 * L).fma(x, a3);
        }
        a0.add(b0).mul(scale).intoArray(scores, to);
        a1.add(b1).mul(scale).intoArray(scores, to + L);
        a2.add(b2).mul(scale).intoArray(scores, to + 2 * L);
        a3.add(b3).mul(scale).intoArray(scores, to + 3 * L);
    }

    /**
     * out[0, 4·L) × rescale + Σ_j weights[j] · values[at + j·stride ...] over {@code count} positions: four vectors
     * of elements, even and odd positions apart.
     */
    private static void weighFour(float[] weights, float[] values, int at, int stride, int count, float rescale,
                                  float[] out, int outOffset) {
        FloatVector a0 = FloatVector.fromArray(F, out, outOffset).mul(rescale);
        FloatVector a1 = FloatVector.fromArray(F, out, outOffset + L).mul(rescale);
        FloatVector a2 = FloatVector.fromArray(F, out, outOffset + 2 * L).mul(rescale);
        FloatVector a3 = FloatVector.fromArray(F, out, outOffset + 3 * L).mul(rescale);
        FloatVector zero = FloatVector.zero(F), b0 = zero, b1 = zero, b2 = zero, b3 = zero, w;
        int j = 0;
        for (; j + 2 <= count; j += 2, at += 2 * stride) {
            w = FloatVector.broadcast(F, weights[j]);
            a0 = FloatVector.fromArray(F, values, at).fma(w, a0);
            a1 = FloatVector.fromArray(F, values, at + L).fma(w, a1);
            a2 = FloatVector.fromArray(F, values, at + 2 * L).fma(w, a2);
            a3 = FloatVector.fromArray(F, values, at + 3 * L).fma(w, a3);
            w = FloatVector.broadcast(F, weights[j + 1]);
            b0 = FloatVector.fromArray(F, values, at + stride).fma(w, b0);
            b1 = FloatVector.fromArray(F, values, at + stride + L).fma(w, b1);
            b2 = FloatVector.fromArray(F, values, at + stride + 2 * L).fma(w, b2);
            b3 = FloatVector.fromArray(F, values, at + stride + 3 * L).fma(w, b3);
        }
        if (j < count) {
            w = FloatVector.broadcast(F, weights[j]);
            a0 = FloatVector.fromArray(F, values, at).fma(w, a0);
            a1 = FloatVector.fromArray(F, values, at + L).fma(w, a1);
            a2 = FloatVector.fromArray(F, values, at + 2 * L).fma(w, a2);
            a3 = FloatVector.fromArray(F, values, at + 3 * L).fma(w, a3);
        }
        a0.add(b0).intoArray(out, outOffset);
        a1.add(b1).intoArray(out, outOffset + L);
        a2.add(b2).intoArray(out, outOffset + 2 * L);
        a3.add(b3).intoArray(out, outOffset + 3 * L);
    }

    /** {@link #weighFour} for one vector of elements (a head of fewer than 4·L elements, or the rest of one). */
    private static void weighOne(float[] weights, float[] values, int at, int stride, int count, float rescale,
                                 float[] out, int outOffset) {
        FloatVector a = FloatVector.fromArray(F, out, outOffset).mul(rescale), b = FloatVector.zero(F);
        int j = 0;
        for (; j + 2 <= count; j += 2, at += 2 * stride) {
            a = FloatVector.fromArray(F, values, at).fma(FloatVector.broadcast(F, weights[j]), a);
            b = FloatVector.fromArray(F, values, at + stride).fma(FloatVector.broadcast(F, weights[j + 1]), b);
        }
        if (j < count) {
            a = FloatVector.fromArray(F, values, at).fma(FloatVector.broadcast(F, weights[j]), a);
        }
        a.add(b).intoArray(out, outOffset);
    }
}

package io.moemesh.core.tensor;

import io.moemesh.core.weights.Numerics;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * bfloat16 weights, the format Qwen publishes. A bf16 value is the top half of a float32, so the kernel widens
 * shorts to ints, shifts left 16 and reinterprets the bits as floats: no table, no rounding. That widening is
 * written out at each use, not a helper returning a vector: when a helper is not inlined (the caller grew past the
 * JIT's inlining budget, as a matmul loop that inlines two formats' kernels does) its vector is boxed, and the
 * router gate's dot ran 3x slower allocating 12.8 MB per token (measured with int8 experts).
 */
public record Bf16Matrix(MemorySegment data, int rows, int cols) implements Matrix {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(F.vectorBitSize() / 2));
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, VectorShape.forBitSize(F.vectorBitSize()));

    @Override
    public float dot(int row, float[] x, int xOffset) {
        long base = (long) row * cols * 2;
        int step = F.length();
        // Two accumulator chains hide the FMA latency; one lane reduction at the end.
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        int c = 0;
        for (int upper = cols - 2 * step; c <= upper; c += 2 * step) {
            FloatVector w = ((IntVector) ShortVector.fromMemorySegment(S, data, base + c * 2L, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector v = ((IntVector) ShortVector.fromMemorySegment(S, data, base + (c + step) * 2L, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            acc0 = w.fma(FloatVector.fromArray(F, x, xOffset + c), acc0);
            acc1 = v.fma(FloatVector.fromArray(F, x, xOffset + c + step), acc1);
        }
        for (int upper = F.loopBound(cols); c < upper; c += step) {
            FloatVector w = ((IntVector) ShortVector.fromMemorySegment(S, data, base + c * 2L, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            acc0 = w.fma(FloatVector.fromArray(F, x, xOffset + c), acc0);
        }
        float sum = VectorMath.sumLanes(acc0.add(acc1));
        for (; c < cols; c++) {
            sum += Numerics.bf16ToFloat(data.get(Numerics.I16, base + c * 2L)) * x[xOffset + c];
        }
        return sum;
    }

    /** {@link #dot} for four input rows, each with exactly dot's accumulation order; the row is widened once. */
    @Override
    public void dot4(int row, float[] x, int xOffset, int stride, float[] out) {
        long base = (long) row * cols * 2;
        int step = F.length();
        int o0 = xOffset, o1 = xOffset + stride, o2 = xOffset + 2 * stride, o3 = xOffset + 3 * stride;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        FloatVector b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        int c = 0;
        for (int upper = cols - 2 * step; c <= upper; c += 2 * step) {
            FloatVector w = ((IntVector) ShortVector.fromMemorySegment(S, data, base + c * 2L, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector v = ((IntVector) ShortVector.fromMemorySegment(S, data, base + (c + step) * 2L, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            a0 = w.fma(FloatVector.fromArray(F, x, o0 + c), a0);
            b0 = v.fma(FloatVector.fromArray(F, x, o0 + c + step), b0);
            a1 = w.fma(FloatVector.fromArray(F, x, o1 + c), a1);
            b1 = v.fma(FloatVector.fromArray(F, x, o1 + c + step), b1);
            a2 = w.fma(FloatVector.fromArray(F, x, o2 + c), a2);
            b2 = v.fma(FloatVector.fromArray(F, x, o2 + c + step), b2);
            a3 = w.fma(FloatVector.fromArray(F, x, o3 + c), a3);
            b3 = v.fma(FloatVector.fromArray(F, x, o3 + c + step), b3);
        }
        for (int upper = F.loopBound(cols); c < upper; c += step) {
            FloatVector w = ((IntVector) ShortVector.fromMemorySegment(S, data, base + c * 2L, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            a0 = w.fma(FloatVector.fromArray(F, x, o0 + c), a0);
            a1 = w.fma(FloatVector.fromArray(F, x, o1 + c), a1);
            a2 = w.fma(FloatVector.fromArray(F, x, o2 + c), a2);
            a3 = w.fma(FloatVector.fromArray(F, x, o3 + c), a3);
        }
        float s0 = VectorMath.sumLanes(a0.add(b0)), s1 = VectorMath.sumLanes(a1.add(b1));
        float s2 = VectorMath.sumLanes(a2.add(b2)), s3 = VectorMath.sumLanes(a3.add(b3));
        for (; c < cols; c++) {
            float w = Numerics.bf16ToFloat(data.get(Numerics.I16, base + c * 2L));
            s0 += w * x[o0 + c];
            s1 += w * x[o1 + c];
            s2 += w * x[o2 + c];
            s3 += w * x[o3 + c];
        }
        out[0] = s0;
        out[1] = s1;
        out[2] = s2;
        out[3] = s3;
    }

    /**
     * Two rows over the same many tokens (see {@link Matrix#dotTokens2}): both rows widened to floats once, then
     * every four tokens' input vectors loaded once for both rows, with {@link #dot}'s order for each token.
     */
    @Override
    public void dotTokens2(int row, Matrix other, int otherRow, float[] x, int xOffset, int stride, int tokens,
                           float[] out, int outOffset, float[] otherOut, int otherOutOffset, int outStride) {
        if (tokens < ScaledBlocks.DECODE_ROW_FROM_TOKENS || !(other instanceof Bf16Matrix o) || o.cols != cols) {
            Matrix.super.dotTokens2(row, other, otherRow, x, xOffset, stride, tokens, out, outOffset, otherOut,
                    otherOutOffset, outStride);
            return;
        }
        float[] p = RowBuffers.atLeast(RowBuffers.ROW_LEVELS, cols), q = RowBuffers.atLeast(RowBuffers.OTHER_ROW_LEVELS, cols);
        widen(row, p);
        o.widen(otherRow, q);
        float[] sums = RowBuffers.EIGHT_SUMS.get();
        int lanes = F.length(), vectorEnd = F.loopBound(cols);
        int t = 0;
        for (; t + 4 <= tokens; t += 4) {
            dot8Widened(p, q, cols, x, xOffset + t * stride, stride, sums);
            for (int k = 0; k < 4; k++) {
                int at = xOffset + (t + k) * stride;
                float sp = VectorMath.sumLanes(sums, k * lanes), sq = VectorMath.sumLanes(sums, (4 + k) * lanes);
                for (int c = vectorEnd; c < cols; c++) {   // dot's scalar tail, in order
                    sp += p[c] * x[at + c];
                    sq += q[c] * x[at + c];
                }
                out[outOffset + (t + k) * outStride] = sp;
                otherOut[otherOutOffset + (t + k) * outStride] = sq;
            }
        }
        for (; t < tokens; t++) {
            out[outOffset + t * outStride] = dot(row, x, xOffset + t * stride);
            otherOut[otherOutOffset + t * outStride] = o.dot(otherRow, x, xOffset + t * stride);
        }
    }

    /** One row as floats into {@code dst}, a vector at a time ({@link #row} does it one value at a time). */
    private void widen(int row, float[] dst) {
        long base = (long) row * cols * 2;
        int c = 0;
        for (int upper = F.loopBound(cols); c < upper; c += F.length()) {
            ((IntVector) ShortVector.fromMemorySegment(S, data, base + c * 2L, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats()
                    .intoArray(dst, c);
        }
        for (; c < cols; c++) {
            dst[c] = Numerics.bf16ToFloat(data.get(Numerics.I16, base + c * 2L));
        }
    }

    /**
     * {@link #dot}'s vector part for rows p and q (widened) and four tokens: accumulators alternating by vector (a
     * last single vector into the first), one vector a pass into the a accumulators, which then trade names with
     * the b ones (the same sums as two vectors a pass written out, and as fast: bench kernels bf16 batch 8 and 32,
     * A/B). The eight vectors whose lanes sum to the results go to {@code sums}.
     */
    private static void dot8Widened(float[] p, float[] q, int cols, float[] x, int xOffset, int stride, float[] sums) {
        int step = F.length(), vectorEnd = F.loopBound(cols);
        int o0 = xOffset, o1 = xOffset + stride, o2 = xOffset + 2 * stride, o3 = xOffset + 3 * stride;
        FloatVector pa0 = FloatVector.zero(F), pa1 = pa0, pa2 = pa0, pa3 = pa0, pb0 = pa0, pb1 = pa0, pb2 = pa0, pb3 = pa0;
        FloatVector qa0 = pa0, qa1 = pa0, qa2 = pa0, qa3 = pa0, qb0 = pa0, qb1 = pa0, qb2 = pa0, qb3 = pa0;
        for (int c = 0; c < vectorEnd; c += step) {
            FloatVector pw = FloatVector.fromArray(F, p, c), qw = FloatVector.fromArray(F, q, c);
            FloatVector x0 = FloatVector.fromArray(F, x, o0 + c), x1 = FloatVector.fromArray(F, x, o1 + c);
            FloatVector x2 = FloatVector.fromArray(F, x, o2 + c), x3 = FloatVector.fromArray(F, x, o3 + c);
            // into the a accumulators, then a and b trade names: vectors alternate between them as before
            FloatVector t;
            t = pw.fma(x0, pa0); pa0 = pb0; pb0 = t;
            t = pw.fma(x1, pa1); pa1 = pb1; pb1 = t;
            t = pw.fma(x2, pa2); pa2 = pb2; pb2 = t;
            t = pw.fma(x3, pa3); pa3 = pb3; pb3 = t;
            t = qw.fma(x0, qa0); qa0 = qb0; qb0 = t;
            t = qw.fma(x1, qa1); qa1 = qb1; qb1 = t;
            t = qw.fma(x2, qa2); qa2 = qb2; qb2 = t;
            t = qw.fma(x3, qa3); qa3 = qb3; qb3 = t;
        }
        pa0.add(pb0).intoArray(sums, 0);
        pa1.add(pb1).intoArray(sums, step);
        pa2.add(pb2).intoArray(sums, 2 * step);
        pa3.add(pb3).intoArray(sums, 3 * step);
        qa0.add(qb0).intoArray(sums, 4 * step);
        qa1.add(qb1).intoArray(sums, 5 * step);
        qa2.add(qb2).intoArray(sums, 6 * step);
        qa3.add(qb3).intoArray(sums, 7 * step);
    }

    @Override
    public float dotReference(int row, float[] x, int xOffset) {
        long base = (long) row * cols;
        float sum = 0;
        for (int c = 0; c < cols; c++) {
            sum += Numerics.bf16ToFloat(data.getAtIndex(Numerics.I16, base + c)) * x[xOffset + c];
        }
        return sum;
    }

    @Override
    public void row(int row, float[] dst, int dstOffset) {
        long base = (long) row * cols;
        for (int c = 0; c < cols; c++) {
            dst[dstOffset + c] = Numerics.bf16ToFloat(data.getAtIndex(Numerics.I16, base + c));
        }
    }

    @Override
    public long bytes() {
        return (long) rows * cols * 2;
    }

    @Override
    public String format() {
        return "bf16";
    }
}

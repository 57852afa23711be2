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

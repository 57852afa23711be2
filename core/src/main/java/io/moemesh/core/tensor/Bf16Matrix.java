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
 * shorts to ints, shifts left 16 and reinterprets the bits as floats: no table, no rounding.
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
            acc0 = widen(base + c * 2L).fma(FloatVector.fromArray(F, x, xOffset + c), acc0);
            acc1 = widen(base + (c + step) * 2L).fma(FloatVector.fromArray(F, x, xOffset + c + step), acc1);
        }
        for (int upper = F.loopBound(cols); c < upper; c += step) {
            acc0 = widen(base + c * 2L).fma(FloatVector.fromArray(F, x, xOffset + c), acc0);
        }
        float sum = acc0.add(acc1).reduceLanes(VectorOperators.ADD);
        for (; c < cols; c++) {
            sum += Numerics.bf16ToFloat(data.get(Numerics.I16, base + c * 2L)) * x[xOffset + c];
        }
        return sum;
    }

    private FloatVector widen(long byteOffset) {
        ShortVector s = ShortVector.fromMemorySegment(S, data, byteOffset, ByteOrder.LITTLE_ENDIAN);
        return ((IntVector) s.convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
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

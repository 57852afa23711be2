package io.moemesh.core.tensor;

import io.moemesh.core.weights.Numerics;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/** float32 weights (Qwen ships none, but tests and norms-as-matrices use them). */
public record F32Matrix(MemorySegment data, int rows, int cols) implements Matrix {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    public static F32Matrix of(float[] values, int rows, int cols) {
        return new F32Matrix(MemorySegment.ofArray(values), rows, cols);
    }

    @Override
    public float dot(int row, float[] x, int xOffset) {
        long base = (long) row * cols * 4;
        FloatVector acc = FloatVector.zero(F);
        int c = 0;
        for (int upper = F.loopBound(cols); c < upper; c += F.length()) {
            FloatVector w = FloatVector.fromMemorySegment(F, data, base + c * 4L, ByteOrder.LITTLE_ENDIAN);
            acc = w.fma(FloatVector.fromArray(F, x, xOffset + c), acc);
        }
        float sum = VectorMath.sumLanes(acc);
        for (; c < cols; c++) {
            sum += data.get(Numerics.F32, base + c * 4L) * x[xOffset + c];
        }
        return sum;
    }

    @Override
    public float dotReference(int row, float[] x, int xOffset) {
        long base = (long) row * cols;
        float sum = 0;
        for (int c = 0; c < cols; c++) {
            sum += data.getAtIndex(Numerics.F32, base + c) * x[xOffset + c];
        }
        return sum;
    }

    @Override
    public void row(int row, float[] dst, int dstOffset) {
        long base = (long) row * cols;
        for (int c = 0; c < cols; c++) {
            dst[dstOffset + c] = data.getAtIndex(Numerics.F32, base + c);
        }
    }

    @Override
    public long bytes() {
        return (long) rows * cols * 4;
    }

    @Override
    public String format() {
        return "f32";
    }
}

package io.moemesh.core.weights;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/** One tensor's bytes (mapped or in off-heap memory) with its dtype and shape, and where it came from for errors. */
public record TensorSlice(String name, DType dtype, long[] shape, MemorySegment data, String file) {

    public long numel() {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }

    public String describe() {
        return "tensor '" + name + "' in " + file + " (" + dtype + " " + Arrays.toString(shape) + ")";
    }

    public TensorSlice expectShape(long... expected) {
        if (!Arrays.equals(shape, expected)) {
            throw new CheckpointException(file + ": tensor '" + name + "' has shape " + Arrays.toString(shape)
                    + " but the config implies " + Arrays.toString(expected));
        }
        return this;
    }

    public float[] toFloats() {
        float[] out = new float[Math.toIntExact(numel())];
        for (int i = 0; i < out.length; i++) {
            out[i] = Numerics.readAsFloat(data, dtype, i, this);
        }
        return out;
    }

    public int[] toInts() {
        int[] out = new int[Math.toIntExact(numel())];
        for (int i = 0; i < out.length; i++) {
            out[i] = switch (dtype) {
                case I32 -> data.getAtIndex(Numerics.I32, i);
                case I64 -> Math.toIntExact(data.getAtIndex(Numerics.I64, i));
                default -> throw new CheckpointException(describe() + ": not an integer tensor");
            };
        }
        return out;
    }
}

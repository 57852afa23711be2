package io.moemesh.core.wire;

import io.moemesh.core.weights.Numerics;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Activation rows ↔ packed little-endian bytes, the payload of the proto {@code Tensor} message. Kept free of
 * protobuf so core stays a plain library; services wrap the bytes in a ByteString without another copy.
 */
public final class ActivationCodec {
    private ActivationCodec() {
    }

    public static byte[] encode(float[] values, WireDType dtype) {
        ByteBuffer b = ByteBuffer.allocate(values.length * dtype.bytesPerElement()).order(ByteOrder.LITTLE_ENDIAN);
        switch (dtype) {
            case F32 -> b.asFloatBuffer().put(values);
            case BF16 -> {
                for (float v : values) {
                    b.putShort(Numerics.floatToBf16(v));
                }
            }
        }
        return b.array();
    }

    /**
     * @param shape the dims the sender declared; the byte length must match them exactly
     * @throws IllegalArgumentException naming the mismatch (a truncated or mislabelled message)
     */
    public static float[] decode(ByteBuffer data, WireDType dtype, long... shape) {
        long elements = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            }
            elements = Math.multiplyExact(elements, d);
        }
        long expected = elements * dtype.bytesPerElement();
        if (data.remaining() != expected) {
            throw new IllegalArgumentException("tensor of shape " + Arrays.toString(shape) + " in " + dtype + " needs "
                    + expected + " bytes, got " + data.remaining());
        }
        ByteBuffer b = data.slice().order(ByteOrder.LITTLE_ENDIAN);
        float[] out = new float[Math.toIntExact(elements)];
        switch (dtype) {
            case F32 -> b.asFloatBuffer().get(out);
            case BF16 -> {
                for (int i = 0; i < out.length; i++) {
                    out[i] = Numerics.bf16ToFloat(b.getShort(i * 2));
                }
            }
        }
        return out;
    }
}

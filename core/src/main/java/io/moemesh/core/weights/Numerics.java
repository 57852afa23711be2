package io.moemesh.core.weights;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** Little-endian element access and the scalar conversions of the weight formats (bf16, f16, fp8 e4m3). */
public final class Numerics {
    public static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    public static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    public static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    public static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Every fp8 e4m3fn bit pattern as a float (the format has 256 values, so a table beats bit twiddling). */
    private static final float[] E4M3 = new float[256];

    static {
        for (int b = 0; b < 256; b++) {
            E4M3[b] = decodeE4m3(b);
        }
    }

    private Numerics() {
    }

    public static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }

    /** Round to nearest even, as torch does when it casts float32 to bfloat16. */
    public static short floatToBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) {
            return (short) 0x7FC0;
        }
        int rounding = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }

    public static float f16ToFloat(short bits) {
        return Float.float16ToFloat(bits);
    }

    public static float e4m3ToFloat(byte b) {
        return E4M3[b & 0xFF];
    }

    /**
     * The nearest e4m3fn value, ties to even; past ±448 (the largest) it saturates to ±448 as FP8 quantizers clamp
     * before they cast, and NaN stays NaN. Bit twiddling rather than a search: a normal e4m3 value times 2^-120 is a
     * float whose bits are the byte's shifted left by 20 (as {@code Fp8PanelMatrix} reads them), so rounding that
     * float's bits to 20 fewer is rounding to e4m3; below 2^-6 the e4m3 steps are 2^-9 apart, and |f|·2^9 rounded to
     * an integer is the code.
     */
    public static byte floatToE4m3(float f) {
        if (Float.isNaN(f)) {
            return 0x7F;
        }
        int sign = Float.floatToRawIntBits(f) < 0 ? 0x80 : 0;
        float a = Math.abs(f);
        int code;
        if (a < 0x1p-6f) {
            code = (int) Math.rint(a * 0x1p9f);
        } else {
            int bits = Float.floatToRawIntBits(Math.min(a, 0x1p9f) * 0x1p-120f);
            code = Math.min((bits + 0x7FFFF + ((bits >>> 20) & 1)) >>> 20, 0x7E);
        }
        return (byte) (sign | code);
    }

    /** e4m3fn: 1 sign, 4 exponent (bias 7), 3 mantissa bits; no infinities, S.1111.111 is NaN. */
    private static float decodeE4m3(int b) {
        int sign = (b >> 7) & 1;
        int exp = (b >> 3) & 0xF;
        int mant = b & 0x7;
        float v;
        if (exp == 0xF && mant == 0x7) {
            v = Float.NaN;
        } else if (exp == 0) {
            v = (float) (mant / 8.0 * Math.pow(2, -6));
        } else {
            v = (float) ((1 + mant / 8.0) * Math.pow(2, exp - 7));
        }
        return sign == 1 ? -v : v;
    }

    public static float readAsFloat(MemorySegment data, DType dtype, long index, TensorSlice where) {
        return switch (dtype) {
            case F32 -> data.getAtIndex(F32, index);
            case BF16 -> bf16ToFloat(data.getAtIndex(I16, index));
            case F16 -> f16ToFloat(data.getAtIndex(I16, index));
            case F8_E4M3 -> e4m3ToFloat(data.get(ValueLayout.JAVA_BYTE, index));
            case F64 -> (float) Double.longBitsToDouble(data.getAtIndex(I64, index));
            default -> throw new CheckpointException(where.describe() + ": dtype " + dtype + " is not a float format");
        };
    }
}

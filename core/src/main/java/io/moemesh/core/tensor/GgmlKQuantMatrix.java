package io.moemesh.core.tensor;

import io.moemesh.core.weights.DType;
import io.moemesh.core.weights.Numerics;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import static io.moemesh.core.tensor.QuantBlocks.B;
import static io.moemesh.core.tensor.QuantBlocks.F;
import static io.moemesh.core.tensor.QuantBlocks.PARTS;
import static jdk.incubator.vector.VectorOperators.B2F;

/**
 * llama.cpp's K-quants (Q4_K, Q5_K, Q6_K) in their native GGUF layout: rows of 256-value super-blocks, each with
 * its own packed sub-block scales. Each type says how to dequantize one super-block twice, as every format here
 * has its kernel and its scalar twin: {@link #dequantizeReference} value by value, straight from ggml-quants.c,
 * and {@link #dequantize} a byte vector at a time with the very same float operations (a multiply, then a
 * subtraction; no fused multiply-add), so both give the same floats. The kernel dequantizes a row into a per-thread
 * buffer and multiplies it by x; several tokens share one dequantized row ({@link DequantizedRows}).
 *
 * <p>Why vectors: value by value, each weight took a handful of scalar operations (a bounds-checked byte read, a
 * mask, a conversion, a multiply, a subtraction, a store), and the published GGUF checkpoints are mostly Q4_K_M
 * (Q4_K with some Q6_K). bench kernels --formats q4_K,q6_K,q5_K, 30B expert, one thread, value by value → vectors:
 * batch 1 q4_K 0.3–1.0 → 2.7–3.8 GB/s, q6_K 0.6 → 2.4–3.0; batch 8 (a row dequantized once, not per token) q4_K
 * 1.1–3.6 → 33–38 GFLOP/s. Still far below our q4 (~25 GB/s): {@code --weights auto} puts Q4_K and Q5_K into our
 * row panels with every level kept ({@link BlockOffsetMatrix}), and Q6_K into its own ({@link Q6Matrix}).
 */
public abstract sealed class GgmlKQuantMatrix implements DequantizedRows
        permits GgmlKQuantMatrix.WithMinimums, GgmlKQuantMatrix.Q6K {
    public static final int QK_K = 256;

    protected final MemorySegment data;
    private final DType type;
    private final int rows, cols;

    GgmlKQuantMatrix(MemorySegment data, int rows, int cols, DType type) {
        GgmlBlocks.check(data, rows, cols, QK_K, type.blockBytes(), type.name());
        this.data = data;
        this.type = type;
        this.rows = rows;
        this.cols = cols;
    }

    /** The K-quant matrix of GGUF type {@code type} (Q4_K, Q5_K or Q6_K) over {@code data}. */
    public static GgmlKQuantMatrix of(DType type, MemorySegment data, int rows, int cols) {
        return switch (type) {
            case Q4_K -> new Q4K(data, rows, cols);
            case Q5_K -> new Q5K(data, rows, cols);
            case Q6_K -> new Q6K(data, rows, cols);
            default -> throw new IllegalArgumentException(type + " is not a K-quant");
        };
    }

    /** The GGUF type of the blocks. */
    public DType type() {
        return type;
    }

    /** Writes the 256 values of the super-block at byte {@code at} to {@code y[yOffset ...]}: the kernel's. */
    abstract void dequantize(long at, float[] y, int yOffset);

    /** {@link #dequantize} value by value, as ggml-quants.c writes it: the scalar twin's. */
    abstract void dequantizeReference(long at, float[] y, int yOffset);

    final ByteVector bytes(long at) {
        return ByteVector.fromMemorySegment(B, data, at, ByteOrder.LITTLE_ENDIAN);
    }

    /** Lanes of {@code part} of {@code levels} (byte lanes as unsigned numbers below 128) times d minus m, at y[o]. */
    static void store(ByteVector levels, int part, float d, float m, float[] y, int o) {
        ((FloatVector) levels.convertShape(B2F, F, part)).mul(d).sub(m).intoArray(y, o);
    }

    public MemorySegment data() {
        return data;
    }

    @Override
    public int rows() {
        return rows;
    }

    @Override
    public int cols() {
        return cols;
    }

    final long blockAt(int row, int block) {
        return ((long) row * (cols / QK_K) + block) * type.blockBytes();
    }

    @Override
    public float dotReference(int row, float[] x, int xOffset) {
        float[] w = new float[QK_K];
        float sum = 0;
        for (int b = 0; b < cols / QK_K; b++) {
            dequantizeReference(blockAt(row, b), w, 0);
            for (int j = 0; j < QK_K; j++) {
                sum += w[j] * x[xOffset + b * QK_K + j];
            }
        }
        return sum;
    }

    @Override
    public void row(int row, float[] dst, int dstOffset) {
        for (int b = 0; b < cols / QK_K; b++) {
            dequantize(blockAt(row, b), dst, dstOffset + b * QK_K);
        }
    }

    @Override
    public long bytes() {
        return (long) rows * (cols / QK_K) * type.blockBytes();
    }

    /** Row {@code row}'s super-blocks, copied out of the segment in one bulk copy into this thread's buffer. */
    final byte[] rowBytes(int row) {
        int length = cols / QK_K * type.blockBytes();
        byte[] bytes = RowBuffers.storedRow(length);
        MemorySegment.copy(data, ValueLayout.JAVA_BYTE, blockAt(row, 0), bytes, 0, length);
        return bytes;
    }

    final int u8(long at) {
        return data.get(ValueLayout.JAVA_BYTE, at) & 0xFF;
    }

    final float f16(long at) {
        return Float.float16ToFloat(data.get(Numerics.I16, at));
    }

    /** ggml's get_scale_min_k4: the j-th 6-bit (scale, min) pair of the 12 packed bytes at {@code q}; scale in the low 8 bits. */
    final int scaleMinK4(int j, long q) {
        int d, m;
        if (j < 4) {
            d = u8(q + j) & 63;
            m = u8(q + j + 4) & 63;
        } else {
            d = (u8(q + j + 4) & 0xF) | ((u8(q + j - 4) >> 6) << 4);
            m = (u8(q + j + 4) >> 4) | ((u8(q + j) >> 6) << 4);
        }
        return d | m << 8;
    }

    /**
     * Q4_K and Q5_K: w = step_j · q − min_j, an unsigned level q per weight and, per sub-block j of 32 columns, a step
     * and a minimum that are 6-bit multiples of the super-block's fp16 d and dmin. Their levels fit our panels as
     * they are ({@link BlockOffsetMatrix}).
     */
    public abstract static sealed class WithMinimums extends GgmlKQuantMatrix permits Q4K, Q5K {
        WithMinimums(MemorySegment data, int rows, int cols, DType type) {
            super(data, rows, cols, type);
        }

        /** Bits of a level: 4 (Q4_K) or 5 (Q5_K). */
        public abstract int levelBits();

        /**
         * The unsigned levels of the super-block at byte {@code at} of {@code bytes} (a copy of its row), value i at
         * {@code levels[o + i]}.
         */
        abstract void levels(byte[] bytes, int at, byte[] levels, int o);

        /**
         * Row {@code row}'s unsigned levels into {@code levels} (one per column) and, per sub-block of 32 columns, its
         * step into {@code steps} and its minimum into {@code mins}: value c is steps[c / 32] · levels[c] − mins[c / 32],
         * as {@link #dequantizeReference} computes it. Steps and minimums are exact (an fp16 times a 6-bit integer).
         * The row's bytes are copied out once and unpacked from the array: read byte by byte from the segment (a bounds
         * check and an address each), the levels were a fifth of loading a Q4_K_M file (JFR).
         */
        public void levels(int row, byte[] levels, float[] steps, float[] mins) {
            byte[] bytes = rowBytes(row);
            for (int b = 0; b < cols() / QK_K; b++) {
                long at = blockAt(row, b);
                float d = f16(at), min = f16(at + 2);
                for (int j = 0; j < QK_K / 32; j++) {
                    int sm = scaleMinK4(j, at + 4);
                    steps[b * 8 + j] = d * (sm & 0xFF);
                    mins[b * 8 + j] = min * (sm >> 8);
                }
                levels(bytes, b * type().blockBytes(), levels, b * QK_K);
            }
        }
    }

    /** block_q4_K: fp16 d, fp16 dmin, scales[12], qs[128]; 144 bytes. */
    public static final class Q4K extends WithMinimums {
        public Q4K(MemorySegment data, int rows, int cols) {
            super(data, rows, cols, DType.Q4_K);
        }

        @Override
        public int levelBits() {
            return 4;
        }

        /** Values 64k .. 64k + 31 are the low nibbles of qs[32k ..] (from byte 16), the next 32 their high nibbles. */
        @Override
        void levels(byte[] bytes, int at, byte[] levels, int o) {
            for (int k = 0, qs = at + 16; k < QK_K; k += 64, qs += 32) {
                for (int l = 0; l < 32; l++) {
                    int q = bytes[qs + l];
                    levels[o + k + l] = (byte) (q & 0xF);
                    levels[o + k + 32 + l] = (byte) (q >> 4 & 0xF);
                }
            }
        }

        @Override
        void dequantize(long at, float[] y, int o) {
            float d = f16(at), min = f16(at + 2);
            long scales = at + 4, q = at + 16;
            for (int j = 0, is = 0; j < QK_K; j += 64, is += 2, q += 32, o += 64) {
                int sm1 = scaleMinK4(is, scales), sm2 = scaleMinK4(is + 1, scales);
                float d1 = d * (sm1 & 0xFF), m1 = min * (sm1 >> 8);
                float d2 = d * (sm2 & 0xFF), m2 = min * (sm2 >> 8);
                for (int l = 0; l < 32; l += B.length()) {
                    ByteVector qs = bytes(q + l);
                    ByteVector low = qs.and((byte) 0xF), high = qs.lanewise(VectorOperators.LSHR, 4).and((byte) 0xF);
                    for (int p = 0; p < PARTS; p++) {
                        store(low, p, d1, m1, y, o + l + p * F.length());
                        store(high, p, d2, m2, y, o + 32 + l + p * F.length());
                    }
                }
            }
        }

        @Override
        void dequantizeReference(long at, float[] y, int o) {
            float d = f16(at), min = f16(at + 2);
            long scales = at + 4, q = at + 16;
            for (int j = 0, is = 0; j < QK_K; j += 64, is += 2, q += 32) {
                int sm1 = scaleMinK4(is, scales), sm2 = scaleMinK4(is + 1, scales);
                float d1 = d * (sm1 & 0xFF), m1 = min * (sm1 >> 8);
                float d2 = d * (sm2 & 0xFF), m2 = min * (sm2 >> 8);
                for (int l = 0; l < 32; l++) {
                    y[o++] = d1 * (u8(q + l) & 0xF) - m1;
                }
                for (int l = 0; l < 32; l++) {
                    y[o++] = d2 * (u8(q + l) >> 4) - m2;
                }
            }
        }

        @Override
        public String format() {
            return "q4_K";
        }
    }

    /** block_q5_K: fp16 d, fp16 dmin, scales[12], qh[32], qs[128]; 176 bytes. */
    public static final class Q5K extends WithMinimums {
        public Q5K(MemorySegment data, int rows, int cols) {
            super(data, rows, cols, DType.Q5_K);
        }

        @Override
        public int levelBits() {
            return 5;
        }

        /** Q4_K's nibble from qs at byte 48, plus 16 where bit i / 32 of qh[i % 32] (from byte 16) is set. */
        @Override
        void levels(byte[] bytes, int at, byte[] levels, int o) {
            for (int k = 0, qs = at + 48; k < QK_K; k += 64, qs += 32) {
                for (int l = 0; l < 32; l++) {
                    int q = bytes[qs + l], h = bytes[at + 16 + l];
                    levels[o + k + l] = (byte) (q & 0xF | (h >> k / 32 & 1) << 4);
                    levels[o + k + 32 + l] = (byte) (q >> 4 & 0xF | (h >> k / 32 + 1 & 1) << 4);
                }
            }
        }

        @Override
        void dequantize(long at, float[] y, int o) {
            float d = f16(at), min = f16(at + 2);
            long scales = at + 4, qh = at + 16, ql = at + 48;
            // chunk j's fifth bits are bit 2j (first 32 values) and 2j + 1 (next 32) of qh[l]
            for (int j = 0, is = 0; j < QK_K; j += 64, is += 2, ql += 32, o += 64) {
                int sm1 = scaleMinK4(is, scales), sm2 = scaleMinK4(is + 1, scales);
                float d1 = d * (sm1 & 0xFF), m1 = min * (sm1 >> 8);
                float d2 = d * (sm2 & 0xFF), m2 = min * (sm2 >> 8);
                int bit = j / 32;
                for (int l = 0; l < 32; l += B.length()) {
                    ByteVector low4 = bytes(ql + l), fifth = bytes(qh + l);
                    ByteVector low = low4.and((byte) 0xF)
                            .or(fifth.lanewise(VectorOperators.LSHR, bit).and((byte) 1).lanewise(VectorOperators.LSHL, 4));
                    ByteVector high = low4.lanewise(VectorOperators.LSHR, 4).and((byte) 0xF)
                            .or(fifth.lanewise(VectorOperators.LSHR, bit + 1).and((byte) 1).lanewise(VectorOperators.LSHL, 4));
                    for (int p = 0; p < PARTS; p++) {
                        store(low, p, d1, m1, y, o + l + p * F.length());
                        store(high, p, d2, m2, y, o + 32 + l + p * F.length());
                    }
                }
            }
        }

        @Override
        void dequantizeReference(long at, float[] y, int o) {
            float d = f16(at), min = f16(at + 2);
            long scales = at + 4, qh = at + 16, ql = at + 48;
            int u1 = 1, u2 = 2;
            for (int j = 0, is = 0; j < QK_K; j += 64, is += 2, ql += 32, u1 <<= 2, u2 <<= 2) {
                int sm1 = scaleMinK4(is, scales), sm2 = scaleMinK4(is + 1, scales);
                float d1 = d * (sm1 & 0xFF), m1 = min * (sm1 >> 8);
                float d2 = d * (sm2 & 0xFF), m2 = min * (sm2 >> 8);
                for (int l = 0; l < 32; l++) {
                    y[o++] = d1 * ((u8(ql + l) & 0xF) + ((u8(qh + l) & u1) != 0 ? 16 : 0)) - m1;
                }
                for (int l = 0; l < 32; l++) {
                    y[o++] = d2 * ((u8(ql + l) >> 4) + ((u8(qh + l) & u2) != 0 ? 16 : 0)) - m2;
                }
            }
        }

        @Override
        public String format() {
            return "q5_K";
        }
    }

    /** block_q6_K: ql[128], qh[64], int8 scales[16], fp16 d; 210 bytes. */
    public static final class Q6K extends GgmlKQuantMatrix {
        public Q6K(MemorySegment data, int rows, int cols) {
            super(data, rows, cols, DType.Q6_K);
        }

        @Override
        void dequantize(long at, float[] y, int o) {
            float d = f16(at + 208);
            long ql = at, qh = at + 128, sc = at + 192;
            for (int n = 0; n < QK_K; n += 128, o += 128, ql += 64, qh += 32, sc += 8) {
                for (int l = 0; l < 32; l += B.length()) {   // B.length() ≤ 16: one scale per run of 16 l
                    int is = l / 16;
                    ByteVector low = bytes(ql + l), next = bytes(ql + l + 32), h = bytes(qh + l);
                    // six-bit levels, unsigned (q + 32 ∈ [0, 63]); 32 is subtracted as a float, exactly
                    ByteVector q1 = low.and((byte) 0xF).or(h.and((byte) 3).lanewise(VectorOperators.LSHL, 4));
                    ByteVector q2 = next.and((byte) 0xF).or(h.lanewise(VectorOperators.LSHR, 2).and((byte) 3).lanewise(VectorOperators.LSHL, 4));
                    ByteVector q3 = low.lanewise(VectorOperators.LSHR, 4).and((byte) 0xF).or(h.lanewise(VectorOperators.LSHR, 4).and((byte) 3).lanewise(VectorOperators.LSHL, 4));
                    ByteVector q4 = next.lanewise(VectorOperators.LSHR, 4).and((byte) 0xF).or(h.lanewise(VectorOperators.LSHR, 6).and((byte) 3).lanewise(VectorOperators.LSHL, 4));
                    float s1 = d * data.get(ValueLayout.JAVA_BYTE, sc + is), s2 = d * data.get(ValueLayout.JAVA_BYTE, sc + is + 2);
                    float s3 = d * data.get(ValueLayout.JAVA_BYTE, sc + is + 4), s4 = d * data.get(ValueLayout.JAVA_BYTE, sc + is + 6);
                    for (int p = 0; p < PARTS; p++) {
                        int at1 = o + l + p * F.length();
                        sixBits(q1, p, s1, y, at1);
                        sixBits(q2, p, s2, y, at1 + 32);
                        sixBits(q3, p, s3, y, at1 + 64);
                        sixBits(q4, p, s4, y, at1 + 96);
                    }
                }
            }
        }

        /** (q − 32) · scale for the lanes of {@code part}: as the twin, the level an integer, then one multiply. */
        private static void sixBits(ByteVector levels, int part, float scale, float[] y, int o) {
            ((FloatVector) levels.convertShape(B2F, F, part)).sub(32f).mul(scale).intoArray(y, o);
        }

        /**
         * Row {@code row}'s signed levels q − 32 ∈ [-32, 31] into {@code levels} (one per column), its int8 scale of
         * each 16 columns into {@code subScales[subScalesAt + c / 16]} and its fp16 d (as bits) of each 256 columns
         * into {@code superScales[c / 256]}: value c is d · subScale · level, as {@link #dequantizeReference}
         * computes it. Value i of a super-block is ql's low nibbles (i % 128 < 64) or high ones, with two bits of qh;
         * its scale is the super-block's i / 16th.
         */
        public void levels(int row, byte[] levels, byte[] subScales, int subScalesAt, short[] superScales) {
            byte[] bytes = rowBytes(row);   // unpacked from a copy, as WithMinimums.levels says why
            for (int b = 0; b < cols() / QK_K; b++) {
                int at = b * DType.Q6_K.blockBytes();
                superScales[b] = (short) (bytes[at + 208] & 0xFF | bytes[at + 209] << 8);
                System.arraycopy(bytes, at + 192, subScales, subScalesAt + b * 16, QK_K / 16);
                for (int half = 0; half < 2; half++) {
                    int ql = at + half * 64, qh = at + 128 + half * 32, o = b * QK_K + half * 128;
                    for (int l = 0; l < 32; l++) {
                        int low = bytes[ql + l], next = bytes[ql + 32 + l], h = bytes[qh + l];
                        levels[o + l] = (byte) ((low & 0xF | (h & 3) << 4) - 32);
                        levels[o + 32 + l] = (byte) ((next & 0xF | (h >> 2 & 3) << 4) - 32);
                        levels[o + 64 + l] = (byte) ((low >> 4 & 0xF | (h >> 4 & 3) << 4) - 32);
                        levels[o + 96 + l] = (byte) ((next >> 4 & 0xF | (h >> 6 & 3) << 4) - 32);
                    }
                }
            }
        }

        @Override
        void dequantizeReference(long at, float[] y, int o) {
            float d = f16(at + 208);
            long ql = at, qh = at + 128, sc = at + 192;
            for (int n = 0; n < QK_K; n += 128, o += 128, ql += 64, qh += 32, sc += 8) {
                for (int l = 0; l < 32; l++) {
                    int is = l / 16;
                    int h = u8(qh + l);
                    int q1 = ((u8(ql + l) & 0xF) | ((h & 3) << 4)) - 32;
                    int q2 = ((u8(ql + l + 32) & 0xF) | (((h >> 2) & 3) << 4)) - 32;
                    int q3 = ((u8(ql + l) >> 4) | (((h >> 4) & 3) << 4)) - 32;
                    int q4 = ((u8(ql + l + 32) >> 4) | (((h >> 6) & 3) << 4)) - 32;
                    y[o + l] = d * data.get(ValueLayout.JAVA_BYTE, sc + is) * q1;
                    y[o + l + 32] = d * data.get(ValueLayout.JAVA_BYTE, sc + is + 2) * q2;
                    y[o + l + 64] = d * data.get(ValueLayout.JAVA_BYTE, sc + is + 4) * q3;
                    y[o + l + 96] = d * data.get(ValueLayout.JAVA_BYTE, sc + is + 6) * q4;
                }
            }
        }

        @Override
        public String format() {
            return "q6_K";
        }
    }
}

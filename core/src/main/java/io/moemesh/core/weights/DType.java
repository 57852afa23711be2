package io.moemesh.core.weights;

import java.util.Arrays;

/**
 * Element types of checkpoint tensors: the safetensors dtypes, named as in the file header, and the block-quantized
 * types of GGUF files (llama.cpp's ggml types), which store {@link #blockSize()} values in {@link #blockBytes()}.
 */
public enum DType {
    F64(8), F32(4), F16(2), BF16(2), F8_E4M3(1), F8_E5M2(1), I64(8), I32(4), I16(2), I8(1), U8(1), BOOL(1),
    /** ggml block_q8_0: fp16 d, 32 × int8. */
    Q8_0(32, 34),
    /** ggml block_q4_0: fp16 d, 16 bytes of nibbles (low nibbles the first 16 values). */
    Q4_0(32, 18),
    /** ggml block_q4_K: fp16 d, fp16 dmin, 12 bytes of 6-bit scales and mins, 128 bytes of nibbles. */
    Q4_K(256, 144),
    /** ggml block_q5_K: as Q4_K plus 32 bytes of fifth bits. */
    Q5_K(256, 176),
    /** ggml block_q6_K: 128 bytes of low nibbles, 64 of high 2 bits, 16 int8 scales, fp16 d. */
    Q6_K(256, 210);

    private final int blockSize;
    private final int blockBytes;

    DType(int bytes) {
        this(1, bytes);
    }

    DType(int blockSize, int blockBytes) {
        this.blockSize = blockSize;
        this.blockBytes = blockBytes;
    }

    /** Bytes per element; for block types, bytes per block (see {@link #blockSize()}). */
    public int bytes() {
        return blockBytes;
    }

    /** Values per block: 1 for plain element types. */
    public int blockSize() {
        return blockSize;
    }

    public int blockBytes() {
        return blockBytes;
    }

    public boolean isBlockQuantized() {
        return blockSize > 1;
    }

    /** Bytes of {@code numel} values; for block types numel must be whole blocks (GGUF rows always are). */
    public long byteSize(long numel) {
        return Math.multiplyExact(numel / blockSize, (long) blockBytes);
    }

    /** A safetensors header's dtype: block types are GGUF's and never valid there. */
    public static DType parse(String name, String where) {
        DType t;
        try {
            t = valueOf(name);
        } catch (IllegalArgumentException e) {
            t = null;
        }
        if (t == null || t.isBlockQuantized()) {
            throw new CheckpointException(where + ": unknown dtype '" + name + "' (known: "
                    + Arrays.toString(Arrays.stream(values()).filter(v -> !v.isBlockQuantized()).toArray()) + ")");
        }
        return t;
    }
}

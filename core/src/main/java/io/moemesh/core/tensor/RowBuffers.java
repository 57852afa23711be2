package io.moemesh.core.tensor;

import jdk.incubator.vector.FloatVector;

/**
 * Per-thread arrays of the matrix kernels: a kernel takes one, fills it and is done with it before it returns, and
 * before it calls another kernel that takes the same one (the many-token kernels finish their last tokens with
 * {@code dot}, which takes the row-scales array, only after their own use of it), so a thread's calls never see
 * each other's contents. They keep the decode path free of allocation once each array has grown to the widest row
 * it meets.
 */
final class RowBuffers {
    /** Four tokens' results of a {@link Matrix#dot4}. */
    static final ThreadLocal<float[]> FOUR = ThreadLocal.withInitial(() -> new float[4]);
    /** A whole row's levels as floats ({@link ScaledBlocks#dotTokens}). */
    static final ThreadLocal<float[]> ROW_LEVELS = ThreadLocal.withInitial(() -> new float[0]);
    /** A whole row's values ({@link DequantizedRows}). */
    static final ThreadLocal<float[]> DEQUANTIZED_ROW = ThreadLocal.withInitial(() -> new float[0]);
    /** A second row's levels and scales ({@link ScaledBlocks#dotTokens2}). */
    static final ThreadLocal<float[]> OTHER_ROW_LEVELS = ThreadLocal.withInitial(() -> new float[0]);
    static final ThreadLocal<float[]> OTHER_ROW_SCALES = ThreadLocal.withInitial(() -> new float[0]);
    /** Up to eight result vectors of {@link ScaledBlocks}' many-token kernels, whose lanes sum to the results. */
    static final ThreadLocal<float[]> EIGHT_SUMS = ThreadLocal.withInitial(() -> new float[8 * FloatVector.SPECIES_MAX.length()]);
    /** One group's block of {@link RowPanels} values as floats, for their many-token kernel. */
    static final ThreadLocal<float[]> GROUP_LEVELS = ThreadLocal.withInitial(() -> new float[0]);
    /** One group's block scales as floats ({@link RowPanels}). */
    static final ThreadLocal<float[]> GROUP_SCALES = ThreadLocal.withInitial(() -> new float[0]);
    /** The second group's block scales of a pair ({@link RowPanels}' two-stream decode kernel). */
    static final ThreadLocal<float[]> OTHER_GROUP_SCALES = ThreadLocal.withInitial(() -> new float[0]);
    /** A partial last block of inputs padded with zeros ({@link RowPanels}' decode kernel). */
    static final ThreadLocal<float[]> PADDED_INPUT = ThreadLocal.withInitial(() -> new float[0]);
    /** One token's inputs as a format's decode kernel reads them ({@link RowPanels#streamedInputs}: q4's scaled copies). */
    static final ThreadLocal<float[]> STREAMED_INPUT = ThreadLocal.withInitial(() -> new float[0]);
    /** Each token's block starts ({@link RowPanels}: q4's offset times the inputs' sums). */
    static final ThreadLocal<float[]> BLOCK_STARTS = ThreadLocal.withInitial(() -> new float[0]);
    /** One group's running totals for each token of a batch ({@link RowPanels}). */
    static final ThreadLocal<float[]> GROUP_TOTALS = ThreadLocal.withInitial(() -> new float[0]);
    /** Σx over each block of each token's inputs ({@link BlockOffsetMatrix}). */
    static final ThreadLocal<float[]> BLOCK_SUMS = ThreadLocal.withInitial(() -> new float[0]);
    /** The offsets' share of each result ({@link BlockOffsetMatrix}). */
    static final ThreadLocal<float[]> OFFSET_TERMS = ThreadLocal.withInitial(() -> new float[0]);
    /** A row's block scales as floats ({@link BlockLayout#rowScales}). */
    static final ThreadLocal<float[]> ROW_SCALES = ThreadLocal.withInitial(() -> new float[256]);
    /** One group's packed columns before one bulk copy puts them in place (packing at load: {@link Q4Matrix}). */
    static final ThreadLocal<int[]> PACKED_WORDS = ThreadLocal.withInitial(() -> new int[0]);
    /** One group's packed bytes before one bulk copy puts them in place ({@link Int8Matrix}). */
    static final ThreadLocal<byte[]> PACKED_BYTES = ThreadLocal.withInitial(() -> new byte[0]);
    /** A stored row's bytes, copied out of its segment at once to be unpacked at load ({@link GgmlKQuantMatrix}). */
    static final ThreadLocal<byte[]> STORED_ROW = ThreadLocal.withInitial(() -> new byte[0]);

    private RowBuffers() {
    }

    /** This thread's array of {@code buffer}, grown to at least {@code length}. */
    static float[] atLeast(ThreadLocal<float[]> buffer, int length) {
        float[] a = buffer.get();
        if (a.length < length) {
            a = new float[length];
            buffer.set(a);
        }
        return a;
    }

    /** {@link #atLeast} for {@link #PACKED_WORDS}. */
    static int[] packedWords(int length) {
        int[] a = PACKED_WORDS.get();
        if (a.length < length) {
            a = new int[length];
            PACKED_WORDS.set(a);
        }
        return a;
    }

    /** {@link #atLeast} for {@link #PACKED_BYTES}. */
    static byte[] packedBytes(int length) {
        return bytesAtLeast(PACKED_BYTES, length);
    }

    /** {@link #atLeast} for {@link #STORED_ROW}. */
    static byte[] storedRow(int length) {
        return bytesAtLeast(STORED_ROW, length);
    }

    private static byte[] bytesAtLeast(ThreadLocal<byte[]> buffer, int length) {
        byte[] a = buffer.get();
        if (a.length < length) {
            a = new byte[length];
            buffer.set(a);
        }
        return a;
    }
}

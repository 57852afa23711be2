package io.moemesh.core.tensor;

import io.moemesh.core.weights.Numerics;

import java.lang.foreign.MemorySegment;

/**
 * Where llama.cpp's Q8_0/Q4_0 blocks, read in place from a GGUF file, keep each 32-column block's levels and fp16
 * scale: blocks of 32 columns in row order, each the scale first, then the levels. Plain address arithmetic, so the
 * kernels ({@link ScaledBlocks}) make no virtual call on the hot path. (Our own int8 and q4 interleave rows:
 * {@link RowPanels}.)
 *
 * @param bytes  what one pass over the matrix reads, scales included
 * @param format the name {@link Matrix#format()} reports
 */
record BlockLayout(MemorySegment levels, long levelRow, long levelBlock, long levelOffset,
                   MemorySegment scales, long scaleRow, long scaleBlock, long scaleOffset, long bytes, String format) {

    /** ggml's blocks of {@code blockBytes}: an fp16 scale, then the levels; rows are whole blocks. */
    static BlockLayout ggml(MemorySegment data, int rows, int cols, int blockBytes, String type) {
        GgmlBlocks.check(data, rows, cols, QuantBlocks.BLOCK, blockBytes, type);
        long rowBytes = (long) (cols / QuantBlocks.BLOCK) * blockBytes;
        return new BlockLayout(data, rowBytes, blockBytes, 2, data, rowBytes, blockBytes, 0, rows * rowBytes,
                type.toLowerCase(java.util.Locale.ROOT));
    }

    /** Byte offset of the first level byte of (row, block). */
    long levelsAt(int row, int block) {
        return levelOffset + row * levelRow + block * levelBlock;
    }

    float scale(int row, int block) {
        return Float.float16ToFloat(scales.get(Numerics.I16, scaleOffset + row * scaleRow + block * scaleBlock));
    }

    /**
     * The first {@code blocks} scales of a row as floats, in an array of this thread's that the next call reuses.
     * A batch-1 kernel converts them once per row here and broadcasts each from memory: converting an fp16 inside
     * the block loop took about a quarter of q4's time (measured), as the 4-bit kernel is bound by vector
     * operations, not memory.
     */
    float[] rowScales(int row, int blocks) {
        float[] s = RowBuffers.atLeast(RowBuffers.ROW_SCALES, blocks);
        rowScales(row, blocks, s);
        return s;
    }

    /** The first {@code blocks} scales of a row as floats into {@code s}. */
    void rowScales(int row, int blocks, float[] s) {
        rowScales(row, 1, blocks, s);
    }

    /**
     * The first {@code blocks} scales of each of {@code rows} rows from {@code row} as floats, row k's from
     * {@code s[k·blocks]}.
     */
    void rowScales(int row, int rows, int blocks, float[] s) {
        long at = scaleOffset + row * scaleRow;
        for (int k = 0; k < rows; k++, at += scaleRow) {
            for (int b = 0; b < blocks; b++) {
                s[k * blocks + b] = Float.float16ToFloat(scales.get(Numerics.I16, at + b * scaleBlock));
            }
        }
    }
}

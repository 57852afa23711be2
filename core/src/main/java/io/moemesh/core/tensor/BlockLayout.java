package io.moemesh.core.tensor;

import io.moemesh.core.weights.Numerics;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Where a block-scaled matrix keeps each 32-column block's levels and fp16 scale. Our own int8/q4 layouts keep
 * levels and scales in two segments (levels contiguous per row, so vector loads never straddle a scale);
 * llama.cpp's Q8_0/Q4_0 interleave them, the scale first. The kernels are the same either way: this record is plain
 * address arithmetic, so one kernel serves both without a virtual call on the hot path.
 *
 * @param bytes  what one pass over the matrix reads, scales included
 * @param format the name {@link Matrix#format()} reports
 */
record BlockLayout(MemorySegment levels, long levelRow, long levelBlock, long levelOffset,
                   MemorySegment scales, long scaleRow, long scaleBlock, long scaleOffset, long bytes, String format) {

    /** Levels of row r, block b at {@code levelRow·r + levelBlock·b}; fp16 scales packed row-major apart. */
    static BlockLayout separate(MemorySegment levels, long levelRow, long levelBlock, MemorySegment scales, int rows,
                                int cols, String format) {
        long blocks = QuantBlocks.blocks(cols);
        return new BlockLayout(levels, levelRow, levelBlock, 0, scales, blocks * 2, 2, 0,
                (long) rows * levelRow + (long) rows * blocks * 2, format);
    }

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
     * {@code s[k·blocks]}. Packed scales of whole-block rows are one run in memory, converted in one loop: for 16
     * rows of 64 scales that is 4 ns a row against 11 ns converting row by row (measured in isolation; the JIT
     * vectorises the long loop), which was a tenth of q4's time per row at batch 1.
     */
    void rowScales(int row, int rows, int blocks, float[] s) {
        long at = scaleOffset + row * scaleRow;
        boolean packed = scaleBlock == 2 && at % 2 == 0;
        if (packed && scaleRow == 2L * blocks) {
            packedScales(at / 2, rows * blocks, s, 0);
            return;
        }
        for (int k = 0; k < rows; k++, at += scaleRow) {
            if (packed) {
                packedScales(at / 2, blocks, s, k * blocks);
            } else {
                for (int b = 0; b < blocks; b++) {
                    s[k * blocks + b] = Float.float16ToFloat(scales.get(Numerics.I16, at + b * scaleBlock));
                }
            }
        }
    }

    /**
     * {@code count} packed scales from fp16 index {@code first}. Indexed by element, the loop compiles 3x faster
     * than the strided one (measured: 10 vs 33 ns for 64 scales). Not a slice: that is an object per row (18 MB a
     * token).
     */
    private void packedScales(long first, int count, float[] s, int sOffset) {
        for (int i = 0; i < count; i++) {
            s[sOffset + i] = Float.float16ToFloat(scales.getAtIndex(Numerics.I16, first + i));
        }
    }

    /** The same layout over copies of the memory (benchmarks cycle through copies to defeat the caches). */
    BlockLayout copy(Arena arena) {
        MemorySegment l = arena.allocate(levels.byteSize(), 64).copyFrom(levels);
        MemorySegment s = scales == levels ? l : arena.allocate(scales.byteSize(), 64).copyFrom(scales);
        return new BlockLayout(l, levelRow, levelBlock, levelOffset, s, scaleRow, scaleBlock, scaleOffset, bytes, format);
    }
}

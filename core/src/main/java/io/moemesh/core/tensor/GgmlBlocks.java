package io.moemesh.core.tensor;

import java.lang.foreign.MemorySegment;

/** Shape checks shared by the matrices over ggml's block layouts (GGUF rows are whole blocks). */
final class GgmlBlocks {
    private GgmlBlocks() {
    }

    static void check(MemorySegment data, int rows, int cols, int block, int blockBytes, String type) {
        if (rows < 0 || cols <= 0 || cols % block != 0) {
            throw new IllegalArgumentException(type + " [" + rows + ", " + cols + "]: rows must be whole blocks of " + block);
        }
        long need = (long) rows * (cols / block) * blockBytes;
        if (data.byteSize() < need) {
            throw new IllegalArgumentException(type + " [" + rows + ", " + cols + "] needs " + need + " bytes, got "
                    + data.byteSize());
        }
    }
}

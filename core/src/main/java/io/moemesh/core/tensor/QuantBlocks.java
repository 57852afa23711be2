package io.moemesh.core.tensor;

import jdk.incubator.vector.FloatVector;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * What {@link Q8Matrix} and {@link Q4Matrix} share: 32-column blocks with one fp16 scale each (as llama.cpp's
 * Q8_0 / Q4_0), and the vector species their kernels widen bytes into.
 */
final class QuantBlocks {
    static final int BLOCK = 32;

    /** Float lanes; a block must hold at least two vectors of them, so very wide (SVE) machines use 512 bits. */
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED.length() <= BLOCK / 2
            ? FloatVector.SPECIES_PREFERRED : FloatVector.SPECIES_512;
    /** One byte per float lane, but never below the narrowest byte vector there is (64 bits). */
    static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(Math.max(64, F.vectorBitSize() / 4)));
    /** How many float vectors one byte vector widens into (convertShape's part numbers). */
    static final int PARTS = B.length() / F.length();

    static {
        if (B.length() > BLOCK / 2 || PARTS * F.length() != B.length()) {
            throw new IllegalStateException("no block layout for float species " + F + " with bytes " + B);
        }
    }

    private QuantBlocks() {
    }

    /**
     * Quantizes rows [0, rows) on the engine's threads when the output memory may be written from them (a shared
     * arena, as checkpoints use), else on this thread. Rows are independent; a 235B checkpoint has ~10⁸ of them.
     */
    static void forRows(int rows, MemorySegment output, io.moemesh.core.kernel.Parallel.Range body) {
        if (output.isAccessibleBy(new Thread(() -> { }))) {
            io.moemesh.core.kernel.Parallel.forRange(rows, body);
        } else {
            body.run(0, rows);
        }
    }

    static int blocks(int cols) {
        return (cols + BLOCK - 1) / BLOCK;
    }

    /**
     * The smallest fp16 ≥ {@code magnitude} (≥ 0). Rounding the scale up, never down, keeps every weight of the
     * block within the grid it was sized for, down to subnormal scales where round-to-nearest can be 40% off.
     */
    static short fp16AtLeast(float magnitude) {
        short h = Float.floatToFloat16(magnitude);
        if (Float.float16ToFloat(h) < magnitude) {
            h++;   // positive fp16 bit patterns are ordered like their values
        }
        if (Float.isInfinite(Float.float16ToFloat(h))) {
            throw new IllegalArgumentException("block scale " + magnitude + " does not fit in fp16");
        }
        return h;
    }

    static void requireFinite(float[] w, int from, int to, int row) {
        for (int c = from; c < to; c++) {
            if (!Float.isFinite(w[c])) {
                throw new IllegalArgumentException("weight [" + row + "][" + c + "] is " + w[c] + ": cannot quantize");
            }
        }
    }
}

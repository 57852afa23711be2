package io.moemesh.core.tensor;

import java.lang.foreign.Arena;
import java.util.function.Supplier;

import static io.moemesh.core.tensor.QuantBlocks.BLOCK;

/**
 * Weights that are a matrix of scaled levels plus an offset per row and block of 32 columns:
 * w[r][c] = levels[r][c] + offsets[r][c / 32]. llama.cpp's Q4_K and Q5_K ({@link GgmlKQuantMatrix.WithMinimums})
 * store w = step · q − min with an unsigned level q of 4 or 5 bits, one step and one minimum per 32 columns. Then
 * q − 2^(bits−1) is a signed level our q4, q4a8 or int8 panels hold as it is, under the step rounded to an fp16 s, and
 * 2^(bits−1) · s − min is what is left of the block: its offset. So Σ_c w·x is the panels' product plus
 * Σ_b offset_b · Σ_{c∈b} x_c, a second product 32 times narrower: the offsets (bf16 panels) with the inputs' block
 * sums ({@link BlockInputSums}), computed once per call for all its rows.
 *
 * <p>Why: in their own layout the K-quants run at 3–4 GB/s at batch 1 ({@link GgmlKQuantMatrix}: a super-block's
 * scales unpacked and its values dequantized before any multiply-add), our q4 panels at ~25; and requantizing a
 * Q4_K row into q4 adds a second rounding as large as the first, since the two grids do not line up. Here every
 * level stays. What moves is the step, by at most fp16's half ulp (2^-11 of it: under 0.8% of a step over the 15
 * levels), and the offset, by bf16's (2^-8 of it; an offset is about the middle of its block's range, at most 8
 * steps for a block of one sign: a 32nd of a step). The bytes: q4 and its fp16 scales, 4.5 bits a weight, plus a
 * bf16 offset per block, 0.5: 5 bits, against Q4_K's 4.5.
 *
 * <p>Every path adds the two products' results, each exactly its matrix's {@code dot}, so every path gives
 * {@link #dot}'s float, as {@link Matrix} asks.
 */
public record BlockOffsetMatrix(Matrix levels, Matrix offsets) implements Matrix {
    public BlockOffsetMatrix {
        if (offsets.rows() != levels.rows() || offsets.cols() != QuantBlocks.blocks(levels.cols())) {
            throw new IllegalArgumentException("offsets " + offsets.rows() + "×" + offsets.cols() + " do not fit levels "
                    + levels.rows() + "×" + levels.cols() + " in blocks of " + BLOCK);
        }
    }

    /** A Q4_K matrix with its levels in our q4 panels, exactly (the steps rounded to fp16, as above). */
    public static BlockOffsetMatrix q4(GgmlKQuantMatrix.WithMinimums source, Arena arena) {
        return of(fourBits(source, "q4"), arena, Q4Matrix::pack);
    }

    /**
     * A Q4_K matrix with its levels in q4a8's layout, exactly: q4a8's integer kernel for the levels (its inputs
     * rounded to int8, as for any q4a8 matrix), the offsets with the inputs' exact block sums.
     */
    public static BlockOffsetMatrix q4a8(GgmlKQuantMatrix.WithMinimums source, Arena arena) {
        return of(fourBits(source, "q4a8"), arena, Q4A8Matrix::pack);
    }

    /** A Q4_K or Q5_K matrix with its levels in our int8 panels, exactly (the steps rounded to fp16, as above). */
    public static BlockOffsetMatrix int8(GgmlKQuantMatrix.WithMinimums source, Arena arena) {
        return of(source, arena, Int8Matrix::pack);
    }

    private static GgmlKQuantMatrix.WithMinimums fourBits(GgmlKQuantMatrix.WithMinimums source, String format) {
        if (source.levelBits() != 4) {
            throw new IllegalArgumentException(source.format() + " levels have " + source.levelBits() + " bits; "
                    + format + " holds 4");
        }
        return source;
    }

    /** How a layout packs signed levels and fp16 steps, row by row: {@code Q4Matrix.pack} and its siblings. */
    private interface Packing {
        Matrix pack(int rows, int cols, Arena arena, Supplier<ScaledPanels.RowLevels> perThread);
    }

    private static BlockOffsetMatrix of(GgmlKQuantMatrix.WithMinimums source, Arena arena, Packing packing) {
        int rows = source.rows(), cols = source.cols(), blocks = cols / BLOCK;
        int center = 1 << (source.levelBits() - 1);
        float[] offsets = new float[Math.multiplyExact(rows, blocks)];   // each row's written by the one thread filling it
        Supplier<ScaledPanels.RowLevels> perThread = () -> {
            byte[] unsigned = new byte[cols];
            float[] steps = new float[blocks], mins = new float[blocks];
            return (r, levels, scales) -> {
                source.levels(r, unsigned, steps, mins);
                for (int c = 0; c < cols; c++) {
                    levels[c] = (byte) (unsigned[c] - center);
                }
                for (int b = 0; b < blocks; b++) {
                    scales[b] = Float.floatToFloat16(steps[b]);
                    float step = Float.float16ToFloat(scales[b]);
                    if (Float.isInfinite(step)) {
                        throw new IllegalArgumentException(source.format() + " row " + r + " block " + b + ": step "
                                + steps[b] + " does not fit in fp16");
                    }
                    offsets[r * blocks + b] = center * step - mins[b];
                }
            };
        };
        return new BlockOffsetMatrix(packing.pack(rows, cols, arena, perThread),
                Bf16PanelMatrix.of(F32Matrix.of(offsets, rows, blocks), arena));
    }

    @Override
    public int rows() {
        return levels.rows();
    }

    @Override
    public int cols() {
        return levels.cols();
    }

    @Override
    public float dot(int row, float[] x, int xOffset) {
        float[] sums = blockSums(x, xOffset, cols(), 1);
        return levels.dot(row, x, xOffset) + offsets.dot(row, sums, 0);
    }

    @Override
    public void dotRows(int from, int to, float[] x, int xOffset, float[] out, int outOffset) {
        dotRowRange(from, to, x, xOffset, 1, out, outOffset, 0);
    }

    @Override
    public void dot4(int row, float[] x, int xOffset, int stride, float[] out) {
        float[] sums = blockSums(x, xOffset, stride, 4);
        levels.dot4(row, x, xOffset, stride, out);
        float[] terms = RowBuffers.atLeast(RowBuffers.OFFSET_TERMS, 4);   // not out's: that may be RowBuffers.FOUR
        offsets.dot4(row, sums, 0, offsets.cols(), terms);
        for (int k = 0; k < 4; k++) {
            out[k] += terms[k];
        }
    }

    @Override
    public void dotTokens(int row, float[] x, int xOffset, int stride, int tokens, float[] out, int outOffset,
                          int outStride) {
        float[] sums = blockSums(x, xOffset, stride, tokens);
        levels.dotTokens(row, x, xOffset, stride, tokens, out, outOffset, outStride);
        float[] terms = RowBuffers.atLeast(RowBuffers.OFFSET_TERMS, tokens);
        offsets.dotTokens(row, sums, 0, offsets.cols(), tokens, terms, 0, 1);
        for (int t = 0; t < tokens; t++) {
            out[outOffset + t * outStride] += terms[t];
        }
    }

    @Override
    public void dotRowRange(int from, int to, float[] x, int xOffset, int tokens, float[] out, int outOffset,
                            int outStride) {
        float[] sums = blockSums(x, xOffset, cols(), tokens);
        levels.dotRowRange(from, to, x, xOffset, tokens, out, outOffset, outStride);
        int n = to - from;
        float[] terms = RowBuffers.atLeast(RowBuffers.OFFSET_TERMS, n * tokens);
        offsets.dotRowRange(from, to, sums, 0, tokens, terms, -from, n);
        for (int t = 0; t < tokens; t++) {
            for (int r = 0; r < n; r++) {
                out[outOffset + from + r + t * outStride] += terms[r + t * n];
            }
        }
    }

    @Override
    public int rowGrain() {
        return levels.rowGrain();
    }

    /** Σx over each block of each token's inputs x[xOffset + t·stride ...], [token][block], in this thread's buffer. */
    private float[] blockSums(float[] x, int xOffset, int stride, int tokens) {
        int blocks = offsets.cols(), cols = cols();
        float[] sums = RowBuffers.atLeast(RowBuffers.BLOCK_SUMS, tokens * blocks);
        for (int t = 0; t < tokens; t++) {
            for (int b = 0; b < blocks; b++) {
                int from = xOffset + t * stride + b * BLOCK, width = Math.min(BLOCK, cols - b * BLOCK);
                sums[t * blocks + b] = width == BLOCK ? BlockInputSums.of(x, from) : BlockInputSums.scalar(x, from, width);
            }
        }
        return sums;
    }

    @Override
    public float dotReference(int row, float[] x, int xOffset) {
        int blocks = offsets.cols();
        float[] sums = new float[blocks];
        for (int b = 0; b < blocks; b++) {
            sums[b] = BlockInputSums.scalar(x, xOffset + b * BLOCK, Math.min(BLOCK, cols() - b * BLOCK));
        }
        return levels.dotReference(row, x, xOffset) + offsets.dotReference(row, sums, 0);
    }

    @Override
    public void row(int row, float[] dst, int dstOffset) {
        levels.row(row, dst, dstOffset);
        float[] offset = new float[offsets.cols()];
        offsets.row(row, offset, 0);
        for (int c = 0; c < cols(); c++) {
            dst[dstOffset + c] += offset[c / BLOCK];
        }
    }

    @Override
    public long bytes() {
        return levels.bytes() + offsets.bytes();
    }

    /** q4+min or int8+min: the levels' format, and a minimum (offset) per block. */
    @Override
    public String format() {
        return levels.format() + "+min";
    }
}

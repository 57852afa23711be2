package io.moemesh.core.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

import static io.moemesh.core.tensor.QuantBlocks.BLOCK;
import static io.moemesh.core.tensor.QuantBlocks.F;

/**
 * Weights with rows interleaved in panels: our bf16 ({@link Bf16PanelMatrix}), int8 ({@link Int8Matrix}), q4
 * ({@link Q4Matrix}), q6 ({@link Q6Matrix}) and fp8 ({@link Fp8PanelMatrix}). With L float lanes (16 with AVX-512,
 * 8 with AVX2), rows come in groups of 8·L, eight panels of L rows; a layout stores, for each group, block of 32
 * columns (16 for q6: {@link #blockWidth}) and column in that order, the values of that column for the whole group
 * (int8 and q4 keep the fp16 scale of each row and block apart: {@link ScaledPanels}). Rows are padded to whole
 * groups and columns to whole blocks with zeros.
 *
 * <p><b>Why.</b> The kernels multiply a column of 8·L values by one broadcast input value, each lane accumulating its
 * own row: no lane sums at the end of a row, and the input costs one 4-byte broadcast per column instead of a
 * 64-byte load per 16 weights. Row by row, that input load bounded q4's kernel (a core here loads 64 bytes a cycle):
 * bench kernels q4 batch 1 went from 0.68 to 0.97 of the read bandwidth at two threads.
 *
 * <p><b>Order of the sums.</b> For each row: per block, s = Σ value·x by fused multiply-adds in ascending columns from
 * the block's start; then t = fma(s, scale, t) over the blocks in order (bf16's scale is 1, and fma(s, 1, t) = t + s).
 * The start is zero, but for q4, whose values are offset ({@link #valueOffset}), −offset·Σx with the block's Σx from
 * {@link BlockInputSums}, computed once per call for every token and block. Every
 * kernel (one token, many tokens, one row) does exactly these operations for each row and token, so a token's
 * results never depend on the batch it is in. Here are the parts the layouts share: all but reading values and scales.
 */
sealed interface RowPanels extends Matrix permits ScaledPanels, Bf16PanelMatrix, Q6Matrix, Fp8PanelMatrix {
    int L = F.length();
    /** Rows of a group. */
    int GROUP_ROWS = 8 * L;
    /** The memory page the hardware prefetcher stays within. */
    int PAGE_BYTES = 4096;
    VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(F.vectorBitSize() / 2));

    /**
     * One token times the {@link #blockWidth} columns of (group, block) from {@code x[xo ...]} (zero-padded by the
     * caller past the matrix's columns), each panel's sum from {@code start} times {@code blockScales} added to
     * {@code totals[totalsAt .. totalsAt + 8·L)}: the decode kernel, with the order of the sums above.
     */
    void blockStreamed(int group, int block, float[] x, int xo, float start, float[] totals, int totalsAt,
                       float[] blockScales);

    /**
     * {@link #blockStreamed} for two tokens at once, x at {@code x[xa ...]} and {@code x[xb ...]}, their totals at
     * {@code totals[totalsAt ...]} and {@code totals[totalsAt + 8·L ...]}: each value vector converted once for
     * both, each token's operations as there. With it batches of 2 to {@link #STREAMED_TOKENS} tokens read the
     * weights as one token does: through a decoded block, as larger batches go, two tokens took 2.4 times one
     * token's time (bench kernels int8 at two threads, 30B expert: batch 2 at 0.8x batch 1's GFLOP/s), and an
     * expert's batch in a mesh or a prompt is mostly one to a few tokens.
     */
    default void blockStreamedTwo(int group, int block, float[] x, int xa, int xb, float startA, float startB,
                                  float[] totals, int totalsAt, float[] blockScales) {
        // by default one token's kernel twice, the block from cache the second time (q6, fp8)
        blockStreamed(group, block, x, xa, startA, totals, totalsAt, blockScales);
        blockStreamed(group, block, x, xb, startB, totals, totalsAt + GROUP_ROWS, blockScales);
    }

    /**
     * {@link #blockStreamed} of groups {@code groupA} and {@code groupB} at once, their totals at [0, 8·L) and
     * [8·L, 16·L) and their block scales in {@code scalesA} and {@code scalesB}: each row's operations as there.
     * One token over two groups, so that a thread reads two streams of weights, which a core here reads faster than
     * one (a plain sum over 1 GB on one thread: 43.5 against 39.9 GB/s): bench kernels batch 1 at one thread bf16
     * 33–37 → 39–42 GB/s, int8 31–34 → 33–38 (A/B, three runs). q4 had measured from −10% to +30% with it, the
     * spread of its levels' placement ({@link Q4Matrix}); placed, it gains too: batch 1 at one thread 30B expert
     * 25–27 → 27–28 GB/s, 235B 27–29 → 31–33, at two 235B 40 → 42 (A/B twice). (Those pairs were adjacent groups;
     * {@link #dotRows} now pairs groups further apart.)
     */
    default void blockStreamedPair(int groupA, int groupB, int block, float[] x, int xo, float start, float[] totals,
                                   float[] scalesA, float[] scalesB) {
        // by default one group after the other, for layouts that do not pair groups (pairsGroups false: q6, fp8)
        blockStreamed(groupA, block, x, xo, start, totals, 0, scalesA);
        blockStreamed(groupB, block, x, xo, start, totals, GROUP_ROWS, scalesB);
    }

    /** The values of the first {@code width} columns of (group, block) as floats, column k's 8·L at k·8·L. */
    void decodeBlock(int group, int block, int width, float[] decoded);

    /** The layout's values: for each group, block and column, the group's 8·L values together. */
    MemorySegment values();

    /** Bytes of one column of a group in {@link #values}. */
    int columnBytes();

    /**
     * Asks memory for the first {@code width} columns of (group, block) at once ({@link CacheLines}), before the
     * many-token path decodes them, where a block fills a 4 KB page or more (int8: 4 KB, bf16: 8 KB): bench kernels,
     * A/B twice, batch 8 / 32 int8 +10–13% / +2–8%, bf16 +20–24% / +6–7%, batch 128 ±4%. The hardware prefetcher
     * stays within a page, so each such block starts cold. q4's 2 KB blocks share pages and arrive ahead anyway:
     * requested, they ran 5–12% slower.
     */
    default void requestBlock(int group, int block, int width) {
        if (blockWidth() * columnBytes() >= PAGE_BYTES) {
            CacheLines.request(values(), columnIndex(group, block * blockWidth()) * columnBytes(), (long) width * columnBytes());
        }
    }

    /**
     * Whether the many-token path takes a batch's first four tokens through {@link #blockStreamedFour} rather than
     * decoding each block first: bf16 does (see there); int8 measured no gain from it, and q4 (2 KB blocks, whose
     * decode costs more operations a weight than its multiply-adds) was not tried.
     */
    default boolean streamsFourTokens() {
        return false;
    }

    /**
     * {@link #blockFourTokens} over (group, block) with each value vector converted from the weights as it is loaded,
     * and stored in {@code decoded} as {@link #decodeBlock} would (panels {@code first} to {@code first + 3}), for the
     * batch's other tokens: the same operations for each token. Only called where {@link #streamsFourTokens}.
     */
    default void blockStreamedFour(int group, int block, int width, int first, float[] x, int xa, int stride,
                                   float[] starts, int sa, int startStride, float[] totals, int at,
                                   float[] blockScales, float[] decoded) {
        throw new UnsupportedOperationException(format() + " has no four-token streamed kernel");
    }

    /** Whether {@link #blockStreamed} reads inputs prepared by {@link #streamedInputs} rather than x itself. */
    default boolean preparesInputs() {
        return false;
    }

    /**
     * Where {@link #preparesInputs}: the inputs of {@code tokens} tokens (token t's x[xOffset + t·cols ...]) as
     * {@link #blockStreamed} reads them, in this thread's buffer, token t's from t·{@link #streamedInputsStride},
     * whole blocks (zero-padded); or null where the kernel cannot take these inputs, and the rows then take the
     * many-token path, which gives the same floats.
     */
    default float[] streamedInputs(float[] x, int xOffset, int tokens) {
        throw new UnsupportedOperationException(format() + " reads its inputs as they are");
    }

    /** Where {@link #preparesInputs}: how far apart {@link #streamedInputs} puts the tokens. */
    default int streamedInputsStride() {
        throw new UnsupportedOperationException(format() + " reads its inputs as they are");
    }

    /** Rows the kernels compute together: row ranges that start and end on a multiple of this waste nothing. */
    @Override
    default int rowGrain() {
        return GROUP_ROWS;
    }

    /**
     * Columns of a block, which one scale covers: 32 (llama.cpp's Q8_0 and Q4_0 blocks, our int8 and q4), or 16 for
     * Q6_K's scales ({@link Q6Matrix}).
     */
    default int blockWidth() {
        return BLOCK;
    }

    /** Blocks of a row, the last one padded: {@link QuantBlocks#blocks}, a shift, for the blocks of 32. */
    default int blocks() {
        return QuantBlocks.blocks(cols());
    }

    /** Groups of 8·L rows that {@code rows} rows take, the last one padded. */
    static int groups(int rows) {
        return (rows + GROUP_ROWS - 1) / GROUP_ROWS;
    }

    /** Index of column {@code col} of group {@code group} among all the groups' columns (blocks are whole columns). */
    default long columnIndex(int group, int col) {
        return (long) group * blocks() * blockWidth() + col;
    }

    /** The number a kernel multiplies for (row, col): a level, the weight itself, or q4's offset level. */
    float value(int row, int col);

    /**
     * What the values are offset by: the kernels sum Σ (value − offset)·x as −offset·Σx + Σ value·x, the first term
     * the block's start. Zero but for q4, whose values are (level + 8)·2^-30 (see {@link Q4Matrix}).
     */
    default float valueOffset() {
        return 0;
    }

    /**
     * Where a block's sums start for the inputs x[from, from + width): −offset·Σx, or 0 without offset. Never −0
     * (0 − y turns −0 into +0), so that no sum is ever −0 and a zero-padded column leaves it as it is.
     */
    private float blockStart(float[] x, int from, int width) {
        float offset = valueOffset();
        return offset == 0 ? 0 : 0f - offset * BlockInputSums.scalar(x, from, width, blockWidth());
    }

    /** What a row's block sum is multiplied by: the block's scale, or 1. */
    float blockScale(int row, int block);

    /** {@link #blockScale} of (group, block) for the group's 8·L rows, panel n's at {@code n·L}, in dst or another. */
    float[] blockScales(int group, int block, float[] dst);

    /**
     * One row alone, with the kernels' operations in their order one lane's worth at a time: exactly what they give
     * for this row. Slow (one fused multiply-add chain); the kernels take row ranges.
     */
    @Override
    default float dot(int row, float[] x, int xOffset) {
        int span = blockWidth();
        float total = 0;
        for (int b = 0, blocks = blocks(), cols = cols(); b < blocks; b++) {
            int from = b * span, end = Math.min(cols, from + span);
            float sum = blockStart(x, xOffset + from, end - from);
            for (int c = from; c < end; c++) {
                sum = Math.fma(value(row, c), x[xOffset + c], sum);
            }
            total = Math.fma(sum, blockScale(row, b), total);
        }
        return total;
    }

    /** Whether {@link #dotRows} takes two whole groups at a time ({@link #blockStreamedPair}). */
    default boolean pairsGroups() {
        return true;
    }

    /**
     * Rows [from, to) for one input, two whole groups at a time ({@link #blockStreamedPair}), or a group alone. The
     * whole groups pair across half the range: the i-th with the (i + half)-th, not with the next. A core reads two
     * streams faster than one only when they lie far apart: a C loop of q4's shape (a mask and a multiply-add per 16
     * weights, one thread, from memory) read one stream at 29.0 GB/s, two 128 KB apart (adjacent q4 groups of 2048
     * columns) at 25.6–27.2, two 256 KB–1 MB apart at 30.9–32.4. bench kernels --unfused batch 1, one thread, A/B twice
     * against adjacent pairs (2026-11-25): q4 30B expert 22.8–24.0 → 24.5–26.9 GB/s, 235B 25.0–25.4 → 26.4–27.1,
     * int8 29.0–32.0 → 31.3–34.2, bf16 39.6–41.5 → 41.3–42.8. Each group's sums are the same either way.
     */
    @Override
    default void dotRows(int from, int to, float[] x, int xOffset, float[] out, int outOffset) {
        float[] in = x;
        int inOffset = xOffset;
        if (preparesInputs()) {
            in = streamedInputs(x, xOffset, 1);
            if (in == null) {
                decodedRows(from, to, x, xOffset, 1, out, outOffset, rows());
                return;
            }
            inOffset = 0;
        }
        float[] blockScales = RowBuffers.atLeast(RowBuffers.GROUP_SCALES, GROUP_ROWS);
        float[] starts = blockStarts(x, xOffset, 1);
        int firstWhole = Math.ceilDiv(from, GROUP_ROWS);
        int wholes = pairsGroups() ? Math.max(0, to / GROUP_ROWS - firstWhole) : 0;
        int half = (wholes + 1) / 2;   // whole group i goes with i + half; with an odd count the middle one is alone
        for (int g = from / GROUP_ROWS; g * GROUP_ROWS < to; g++) {
            int first = g * GROUP_ROWS, begin = Math.max(from, first), i = g - firstWhole;
            if (i >= 0 && i < wholes - half) {
                float[] sums = groupPair(g, g + half, in, inOffset, starts, blockScales);
                System.arraycopy(sums, 0, out, outOffset + first, GROUP_ROWS);
                System.arraycopy(sums, GROUP_ROWS, out, outOffset + first + half * GROUP_ROWS, GROUP_ROWS);
            } else if (i < half || i >= wholes) {   // not a partner already computed
                float[] sums = groupOneToken(g, in, inOffset, starts, blockScales);
                System.arraycopy(sums, begin - first, out, outOffset + begin, Math.min(to, first + GROUP_ROWS) - begin);
            }
        }
    }

    /**
     * One token over one group, all blocks ({@link #blockStreamed}); returns this thread's buffer holding the
     * group's 8·L sums. A partial last block reads its inputs from a copy padded with zeros (prepared inputs come
     * padded), which add nothing (fma(v, 0, s) = s: a sum that starts at anything but −0 is never −0), so every
     * block is whole.
     */
    private float[] groupOneToken(int group, float[] x, int xOffset, float[] starts, float[] blockScales) {
        int span = blockWidth();
        float[] totals = RowBuffers.atLeast(RowBuffers.GROUP_TOTALS, GROUP_ROWS);
        Arrays.fill(totals, 0, GROUP_ROWS, 0f);
        int cols = cols(), full = preparesInputs() ? blocks() : cols / span;
        for (int b = 0; b < full; b++) {
            blockStreamed(group, b, x, xOffset + b * span, starts[b], totals, 0, blockScales(group, b, blockScales));
        }
        if (full * span < cols) {
            blockStreamed(group, full, lastBlocksPadded(x, xOffset, 1), 0, starts[full], totals, 0,
                    blockScales(group, full, blockScales));
        }
        return totals;
    }

    /** {@link #groupOneToken} for groups {@code group} and {@code other}: this thread's buffer of their 16·L sums. */
    private float[] groupPair(int group, int other, float[] x, int xOffset, float[] starts, float[] scalesA) {
        int span = blockWidth();
        float[] totals = RowBuffers.atLeast(RowBuffers.GROUP_TOTALS, 2 * GROUP_ROWS);
        float[] scalesB = RowBuffers.atLeast(RowBuffers.OTHER_GROUP_SCALES, GROUP_ROWS);
        Arrays.fill(totals, 0, 2 * GROUP_ROWS, 0f);
        int cols = cols(), full = preparesInputs() ? blocks() : cols / span;
        for (int b = 0; b < full; b++) {
            blockStreamedPair(group, other, b, x, xOffset + b * span, starts[b], totals, blockScales(group, b, scalesA),
                    blockScales(other, b, scalesB));
        }
        if (full * span < cols) {
            blockStreamedPair(group, other, full, lastBlocksPadded(x, xOffset, 1), 0, starts[full], totals,
                    blockScales(group, full, scalesA), blockScales(other, full, scalesB));
        }
        return totals;
    }

    /**
     * The start of every block of {@code tokens} inputs (token t's block b at t·blocks + b), in this thread's buffer:
     * {@link #blockStart}'s values, Σx vectorised ({@link BlockInputSums#of}), once per call rather than per group.
     */
    private float[] blockStarts(float[] x, int xOffset, int tokens) {
        int span = blockWidth();
        int cols = cols(), blocks = blocks(), full = cols / span;
        float[] starts = RowBuffers.atLeast(RowBuffers.BLOCK_STARTS, tokens * blocks);
        float offset = valueOffset();
        if (offset == 0) {
            Arrays.fill(starts, 0, tokens * blocks, 0f);
            return starts;
        }
        for (int t = 0; t < tokens; t++) {
            int at = xOffset + t * cols;
            for (int b = 0; b < full; b++) {
                starts[t * blocks + b] = 0f - offset * BlockInputSums.of(x, at + b * span, span);
            }
            if (full < blocks) {
                starts[t * blocks + full] = 0f - offset * BlockInputSums.of(lastBlocksPadded(x, at, 1), 0, span);
            }
        }
        return starts;
    }

    /**
     * Rows [from, to) for several inputs. Up to {@link #STREAMED_TOKENS} tokens read the weights as one token does
     * ({@link #streamedRows}). Beyond, a group's block is decoded to floats once (32 or 16 columns × 8·L rows, in L1),
     * then four tokens at a time run over half of its panels ({@link #blockFourTokens}), the last two or one over all
     * eight; where the format {@link #streamsFourTokens}, the first four tokens decode the block as they go. The
     * running totals of a group stay in a buffer between blocks. Four tokens by four panels (sixteen
     * accumulators) measured 8–14% faster than two tokens by eight at batch 8–128, and three tokens by eight (24
     * accumulators) 3–12% slower than two (bench kernels int8 and q4, 30B expert, two threads, A/B twice).
     */
    @Override
    default void dotRowRange(int from, int to, float[] x, int xOffset, int tokens, float[] out, int outOffset,
                             int outStride) {
        if (tokens == 1) {
            dotRows(from, to, x, xOffset, out, outOffset);
            return;
        }
        if (tokens <= STREAMED_TOKENS) {
            streamedRows(from, to, x, xOffset, tokens, out, outOffset, outStride);
            return;
        }
        decodedRows(from, to, x, xOffset, tokens, out, outOffset, outStride);
    }

    /**
     * Batches up to this many tokens take {@link #streamedRows}: bench kernels at two threads, GFLOP/s decoded →
     * streamed (A/B twice, both experts): int8 batch 2 89–95 → 172–222, 3 106–113 → 215–238, 4 101–151 → 169–288,
     * 5 111–151 → 163–246; bf16 batch 2 58–60 → 96–139, 4 72–80 → 153–163, 5 81–101 → 157–177. At 6 and 8 tokens
     * the two measured alike (within ±10%, either way, A/B twice), and from 12 the decoded block was faster (int8
     * at 12 and 16, bf16 at 12).
     */
    int STREAMED_TOKENS = 5;

    /**
     * {@link #dotRowRange} for a few tokens straight from memory, as one token is: per group and block, two tokens at
     * a time ({@link #blockStreamedTwo}) and an odd one alone ({@link #blockStreamed}, the block then in cache).
     */
    private void streamedRows(int from, int to, float[] x, int xOffset, int tokens, float[] out, int outOffset,
                              int outStride) {
        int span = blockWidth();
        int cols = cols(), blocks = blocks(), full = cols / span;
        // x itself, token t's block b at xOffset + t·cols + b·blockWidth; or inputs prepared whole-block (stride apart)
        float[] inputs = x;
        int inputsAt = xOffset, stride = cols;
        if (preparesInputs()) {
            inputs = streamedInputs(x, xOffset, tokens);
            if (inputs == null) {
                decodedRows(from, to, x, xOffset, tokens, out, outOffset, outStride);
                return;
            }
            inputsAt = 0;
            stride = streamedInputsStride();
            full = blocks;
        }
        float[] blockScales = RowBuffers.atLeast(RowBuffers.GROUP_SCALES, GROUP_ROWS);
        float[] totals = RowBuffers.atLeast(RowBuffers.GROUP_TOTALS, tokens * GROUP_ROWS);
        float[] starts = blockStarts(x, xOffset, tokens);
        // a partial last block reads each token's inputs from a copy padded with zeros, as one token does (made after
        // the starts, which use the same buffer)
        float[] padded = full < blocks ? lastBlocksPadded(x, xOffset, tokens) : null;
        for (int g = from / GROUP_ROWS; g * GROUP_ROWS < to; g++) {
            Arrays.fill(totals, 0, tokens * GROUP_ROWS, 0f);
            for (int b = 0; b < blocks; b++) {
                float[] scales = blockScales(g, b, blockScales);
                boolean whole = b < full;
                float[] in = whole ? inputs : padded;
                int t = 0;
                for (; t + 2 <= tokens; t += 2) {
                    int xa = whole ? inputsAt + t * stride + b * span : t * span;
                    int xb = whole ? xa + stride : xa + span;
                    blockStreamedTwo(g, b, in, xa, xb, starts[t * blocks + b], starts[(t + 1) * blocks + b], totals,
                            t * GROUP_ROWS, scales);
                }
                if (t < tokens) {
                    int xa = whole ? inputsAt + t * stride + b * span : t * span;
                    blockStreamed(g, b, in, xa, starts[t * blocks + b], totals, t * GROUP_ROWS, scales);
                }
            }
            copyOut(totals, g, from, to, tokens, out, outOffset, outStride);
        }
    }

    /** Group {@code g}'s totals of each token ({@code totals[t·8·L ...]}) for rows [from, to) into {@code out}. */
    private static void copyOut(float[] totals, int g, int from, int to, int tokens, float[] out, int outOffset,
                                int outStride) {
        int first = g * GROUP_ROWS;
        for (int t = 0; t < tokens; t++) {
            for (int r = Math.max(from, first), end = Math.min(to, first + GROUP_ROWS); r < end; r++) {
                out[outOffset + r + t * outStride] = totals[t * GROUP_ROWS + r - first];
            }
        }
    }

    /**
     * The partial last blocks of {@code tokens} inputs (x[xOffset + t·cols ...]) in this thread's buffer, each padded
     * with zeros to a block, in order.
     */
    private float[] lastBlocksPadded(float[] x, int xOffset, int tokens) {
        int span = blockWidth();
        int cols = cols(), full = cols / span;
        float[] padded = RowBuffers.atLeast(RowBuffers.PADDED_INPUT, tokens * span);
        Arrays.fill(padded, 0, tokens * span, 0f);
        for (int t = 0; t < tokens; t++) {
            System.arraycopy(x, xOffset + t * cols + full * span, padded, t * span, cols - full * span);
        }
        return padded;
    }

    /** {@link #dotRowRange} through decoded blocks, for any number of tokens. */
    private void decodedRows(int from, int to, float[] x, int xOffset, int tokens, float[] out, int outOffset,
                             int outStride) {
        int span = blockWidth();
        int cols = cols();
        float[] decoded = RowBuffers.atLeast(RowBuffers.GROUP_LEVELS, span * GROUP_ROWS);
        float[] blockScales = RowBuffers.atLeast(RowBuffers.GROUP_SCALES, GROUP_ROWS);
        float[] totals = RowBuffers.atLeast(RowBuffers.GROUP_TOTALS, tokens * GROUP_ROWS);
        float[] starts = blockStarts(x, xOffset, tokens);
        int blocks = blocks();
        boolean streamed = streamsFourTokens() && tokens >= 4;
        for (int g = from / GROUP_ROWS; g * GROUP_ROWS < to; g++) {
            Arrays.fill(totals, 0, tokens * GROUP_ROWS, 0f);
            for (int b = 0; b < blocks; b++) {
                int width = Math.min(span, cols - b * span);
                float[] scales = blockScales(g, b, blockScales);
                requestBlock(g, b, width);
                if (!streamed) {
                    decodeBlock(g, b, width, decoded);
                }
                int t = 0;
                for (; t + 4 <= tokens; t += 4) {
                    int xa = xOffset + t * cols + b * span;
                    int sa = t * blocks + b;
                    if (streamed && t == 0) {   // these four fill decoded for the rest
                        blockStreamedFour(g, b, width, 0, x, xa, cols, starts, sa, blocks, totals, 0, scales, decoded);
                        blockStreamedFour(g, b, width, 4, x, xa, cols, starts, sa, blocks, totals, 0, scales, decoded);
                        continue;
                    }
                    blockFourTokens(decoded, scales, width, 0, x, xa, cols, starts, sa, blocks, totals, t * GROUP_ROWS);
                    blockFourTokens(decoded, scales, width, 4, x, xa, cols, starts, sa, blocks, totals, t * GROUP_ROWS);
                }
                for (; t + 2 <= tokens; t += 2) {
                    blockTwoTokens(decoded, scales, width, x, xOffset + t * cols + b * span,
                            xOffset + (t + 1) * cols + b * span, starts[t * blocks + b], starts[(t + 1) * blocks + b],
                            totals, t * GROUP_ROWS);
                }
                if (t < tokens) {
                    blockOneToken(decoded, scales, width, x, xOffset + t * cols + b * span, starts[t * blocks + b],
                            totals, t * GROUP_ROWS);
                }
            }
            copyOut(totals, g, from, to, tokens, out, outOffset, outStride);
        }
    }

    /**
     * Four tokens over four panels (from panel {@code first}) of one decoded block of a group, from the tokens' block
     * starts ({@code starts[sa + t·startStride]}), added to their running totals ({@code totals[at + t·8·L ...]}):
     * the many-token kernel, with the decode kernel's operations for each token. Each value vector is loaded once
     * for four tokens: half the L1 bytes per multiply-add of eight panels for two tokens.
     */
    static void blockFourTokens(float[] decoded, float[] blockScales, int width, int first, float[] x, int xa,
                                int stride, float[] starts, int sa, int startStride, float[] totals, int at) {
        FloatVector a0 = FloatVector.broadcast(F, starts[sa]), a1 = a0, a2 = a0, a3 = a0;
        FloatVector b0 = FloatVector.broadcast(F, starts[sa + startStride]), b1 = b0, b2 = b0, b3 = b0;
        FloatVector c0 = FloatVector.broadcast(F, starts[sa + 2 * startStride]), c1 = c0, c2 = c0, c3 = c0;
        FloatVector d0 = FloatVector.broadcast(F, starts[sa + 3 * startStride]), d1 = d0, d2 = d0, d3 = d0;
        int xb = xa + stride, xc = xb + stride, xd = xc + stride;
        for (int k = 0; k < width; k++) {
            int o = k * GROUP_ROWS + first * L;
            FloatVector va = FloatVector.broadcast(F, x[xa + k]), vb = FloatVector.broadcast(F, x[xb + k]);
            FloatVector vc = FloatVector.broadcast(F, x[xc + k]), vd = FloatVector.broadcast(F, x[xd + k]);
            FloatVector l;
            l = FloatVector.fromArray(F, decoded, o);
            a0 = l.fma(va, a0);
            b0 = l.fma(vb, b0);
            c0 = l.fma(vc, c0);
            d0 = l.fma(vd, d0);
            l = FloatVector.fromArray(F, decoded, o + L);
            a1 = l.fma(va, a1);
            b1 = l.fma(vb, b1);
            c1 = l.fma(vc, c1);
            d1 = l.fma(vd, d1);
            l = FloatVector.fromArray(F, decoded, o + 2 * L);
            a2 = l.fma(va, a2);
            b2 = l.fma(vb, b2);
            c2 = l.fma(vc, c2);
            d2 = l.fma(vd, d2);
            l = FloatVector.fromArray(F, decoded, o + 3 * L);
            a3 = l.fma(va, a3);
            b3 = l.fma(vb, b3);
            c3 = l.fma(vc, c3);
            d3 = l.fma(vd, d3);
        }
        FloatVector s;
        int p = first * L;
        s = FloatVector.fromArray(F, blockScales, p);
        a0.fma(s, FloatVector.fromArray(F, totals, at + p)).intoArray(totals, at + p);
        b0.fma(s, FloatVector.fromArray(F, totals, at + GROUP_ROWS + p)).intoArray(totals, at + GROUP_ROWS + p);
        c0.fma(s, FloatVector.fromArray(F, totals, at + 2 * GROUP_ROWS + p)).intoArray(totals, at + 2 * GROUP_ROWS + p);
        d0.fma(s, FloatVector.fromArray(F, totals, at + 3 * GROUP_ROWS + p)).intoArray(totals, at + 3 * GROUP_ROWS + p);
        s = FloatVector.fromArray(F, blockScales, p + L);
        a1.fma(s, FloatVector.fromArray(F, totals, at + p + L)).intoArray(totals, at + p + L);
        b1.fma(s, FloatVector.fromArray(F, totals, at + GROUP_ROWS + p + L)).intoArray(totals, at + GROUP_ROWS + p + L);
        c1.fma(s, FloatVector.fromArray(F, totals, at + 2 * GROUP_ROWS + p + L)).intoArray(totals, at + 2 * GROUP_ROWS + p + L);
        d1.fma(s, FloatVector.fromArray(F, totals, at + 3 * GROUP_ROWS + p + L)).intoArray(totals, at + 3 * GROUP_ROWS + p + L);
        s = FloatVector.fromArray(F, blockScales, p + 2 * L);
        a2.fma(s, FloatVector.fromArray(F, totals, at + p + 2 * L)).intoArray(totals, at + p + 2 * L);
        b2.fma(s, FloatVector.fromArray(F, totals, at + GROUP_ROWS + p + 2 * L)).intoArray(totals, at + GROUP_ROWS + p + 2 * L);
        c2.fma(s, FloatVector.fromArray(F, totals, at + 2 * GROUP_ROWS + p + 2 * L)).intoArray(totals, at + 2 * GROUP_ROWS + p + 2 * L);
        d2.fma(s, FloatVector.fromArray(F, totals, at + 3 * GROUP_ROWS + p + 2 * L)).intoArray(totals, at + 3 * GROUP_ROWS + p + 2 * L);
        s = FloatVector.fromArray(F, blockScales, p + 3 * L);
        a3.fma(s, FloatVector.fromArray(F, totals, at + p + 3 * L)).intoArray(totals, at + p + 3 * L);
        b3.fma(s, FloatVector.fromArray(F, totals, at + GROUP_ROWS + p + 3 * L)).intoArray(totals, at + GROUP_ROWS + p + 3 * L);
        c3.fma(s, FloatVector.fromArray(F, totals, at + 2 * GROUP_ROWS + p + 3 * L)).intoArray(totals, at + 2 * GROUP_ROWS + p + 3 * L);
        d3.fma(s, FloatVector.fromArray(F, totals, at + 3 * GROUP_ROWS + p + 3 * L)).intoArray(totals, at + 3 * GROUP_ROWS + p + 3 * L);
    }

    /**
     * Two tokens over one decoded block of a group, added to their running totals ({@code totals[at ...]} and
     * {@code totals[at + 8·L ...]}): the many-token kernel, with the decode kernel's operations for each token.
     */
    static void blockTwoTokens(float[] decoded, float[] blockScales, int width, float[] x, int xa, int xb,
                               float startA, float startB, float[] totals, int at) {
        FloatVector a0 = FloatVector.broadcast(F, startA), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        FloatVector b0 = FloatVector.broadcast(F, startB), b1 = b0, b2 = b0, b3 = b0, b4 = b0, b5 = b0, b6 = b0, b7 = b0;
        for (int k = 0; k < width; k++) {
            int o = k * GROUP_ROWS;
            FloatVector va = FloatVector.broadcast(F, x[xa + k]), vb = FloatVector.broadcast(F, x[xb + k]);
            FloatVector l;
            l = FloatVector.fromArray(F, decoded, o);
            a0 = l.fma(va, a0);
            b0 = l.fma(vb, b0);
            l = FloatVector.fromArray(F, decoded, o + L);
            a1 = l.fma(va, a1);
            b1 = l.fma(vb, b1);
            l = FloatVector.fromArray(F, decoded, o + 2 * L);
            a2 = l.fma(va, a2);
            b2 = l.fma(vb, b2);
            l = FloatVector.fromArray(F, decoded, o + 3 * L);
            a3 = l.fma(va, a3);
            b3 = l.fma(vb, b3);
            l = FloatVector.fromArray(F, decoded, o + 4 * L);
            a4 = l.fma(va, a4);
            b4 = l.fma(vb, b4);
            l = FloatVector.fromArray(F, decoded, o + 5 * L);
            a5 = l.fma(va, a5);
            b5 = l.fma(vb, b5);
            l = FloatVector.fromArray(F, decoded, o + 6 * L);
            a6 = l.fma(va, a6);
            b6 = l.fma(vb, b6);
            l = FloatVector.fromArray(F, decoded, o + 7 * L);
            a7 = l.fma(va, a7);
            b7 = l.fma(vb, b7);
        }
        FloatVector s;
        s = FloatVector.fromArray(F, blockScales, 0);
        a0.fma(s, FloatVector.fromArray(F, totals, at + 0)).intoArray(totals, at + 0);
        b0.fma(s, FloatVector.fromArray(F, totals, at + GROUP_ROWS + 0)).intoArray(totals, at + GROUP_ROWS + 0);
        s = FloatVector.fromArray(F, blockScales, L);
        a1.fma(s, FloatVector.fromArray(F, totals, at + L)).intoArray(totals, at + L);
        b1.fma(s, FloatVector.fromArray(F, totals, at + GROUP_ROWS + L)).intoArray(totals, at + GROUP_ROWS + L);
        s = FloatVector.fromArray(F, blockScales, 2 * L);
        a2.fma(s, FloatVector.fromArray(F, totals, at + 2 * L)).intoArray(totals, at + 2 * L);
        b2.fma(s, FloatVector.fromArray(F, totals, at + GROUP_ROWS + 2 * L)).intoArray(totals, at + GROUP_ROWS + 2 * L);
        s = FloatVector.fromArray(F, blockScales, 3 * L);
        a3.fma(s, FloatVector.fromArray(F, totals, at + 3 * L)).intoArray(totals, at + 3 * L);
        b3.fma(s, FloatVector.fromArray(F, totals, at + GROUP_ROWS + 3 * L)).intoArray(totals, at + GROUP_ROWS + 3 * L);
        s = FloatVector.fromArray(F, blockScales, 4 * L);
        a4.fma(s, FloatVector.fromArray(F, totals, at + 4 * L)).intoArray(totals, at + 4 * L);
        b4.fma(s, FloatVector.fromArray(F, totals, at + GROUP_ROWS + 4 * L)).intoArray(totals, at + GROUP_ROWS + 4 * L);
        s = FloatVector.fromArray(F, blockScales, 5 * L);
        a5.fma(s, FloatVector.fromArray(F, totals, at + 5 * L)).intoArray(totals, at + 5 * L);
        b5.fma(s, FloatVector.fromArray(F, totals, at + GROUP_ROWS + 5 * L)).intoArray(totals, at + GROUP_ROWS + 5 * L);
        s = FloatVector.fromArray(F, blockScales, 6 * L);
        a6.fma(s, FloatVector.fromArray(F, totals, at + 6 * L)).intoArray(totals, at + 6 * L);
        b6.fma(s, FloatVector.fromArray(F, totals, at + GROUP_ROWS + 6 * L)).intoArray(totals, at + GROUP_ROWS + 6 * L);
        s = FloatVector.fromArray(F, blockScales, 7 * L);
        a7.fma(s, FloatVector.fromArray(F, totals, at + 7 * L)).intoArray(totals, at + 7 * L);
        b7.fma(s, FloatVector.fromArray(F, totals, at + GROUP_ROWS + 7 * L)).intoArray(totals, at + GROUP_ROWS + 7 * L);
    }

    /** {@link #blockTwoTokens} for one token: an odd batch's last. */
    static void blockOneToken(float[] decoded, float[] blockScales, int width, float[] x, int xa, float start,
                              float[] totals, int at) {
        FloatVector a0 = FloatVector.broadcast(F, start), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        for (int k = 0; k < width; k++) {
            int o = k * GROUP_ROWS;
            FloatVector va = FloatVector.broadcast(F, x[xa + k]);
            a0 = FloatVector.fromArray(F, decoded, o).fma(va, a0);
            a1 = FloatVector.fromArray(F, decoded, o + L).fma(va, a1);
            a2 = FloatVector.fromArray(F, decoded, o + 2 * L).fma(va, a2);
            a3 = FloatVector.fromArray(F, decoded, o + 3 * L).fma(va, a3);
            a4 = FloatVector.fromArray(F, decoded, o + 4 * L).fma(va, a4);
            a5 = FloatVector.fromArray(F, decoded, o + 5 * L).fma(va, a5);
            a6 = FloatVector.fromArray(F, decoded, o + 6 * L).fma(va, a6);
            a7 = FloatVector.fromArray(F, decoded, o + 7 * L).fma(va, a7);
        }
        a0.fma(FloatVector.fromArray(F, blockScales, 0), FloatVector.fromArray(F, totals, at + 0)).intoArray(totals, at + 0);
        a1.fma(FloatVector.fromArray(F, blockScales, L), FloatVector.fromArray(F, totals, at + L)).intoArray(totals, at + L);
        a2.fma(FloatVector.fromArray(F, blockScales, 2 * L), FloatVector.fromArray(F, totals, at + 2 * L)).intoArray(totals, at + 2 * L);
        a3.fma(FloatVector.fromArray(F, blockScales, 3 * L), FloatVector.fromArray(F, totals, at + 3 * L)).intoArray(totals, at + 3 * L);
        a4.fma(FloatVector.fromArray(F, blockScales, 4 * L), FloatVector.fromArray(F, totals, at + 4 * L)).intoArray(totals, at + 4 * L);
        a5.fma(FloatVector.fromArray(F, blockScales, 5 * L), FloatVector.fromArray(F, totals, at + 5 * L)).intoArray(totals, at + 5 * L);
        a6.fma(FloatVector.fromArray(F, blockScales, 6 * L), FloatVector.fromArray(F, totals, at + 6 * L)).intoArray(totals, at + 6 * L);
        a7.fma(FloatVector.fromArray(F, blockScales, 7 * L), FloatVector.fromArray(F, totals, at + 7 * L)).intoArray(totals, at + 7 * L);
    }
}

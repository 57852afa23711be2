package io.moemesh.core.nn;

import io.moemesh.core.kernel.MatMul;
import io.moemesh.core.kernel.Scratch;
import io.moemesh.core.kernel.StackedRows;
import io.moemesh.core.tensor.Matrices;
import io.moemesh.core.tensor.Matrix;
import io.moemesh.core.weights.Checkpoint;


/**
 * down(silu(gate(x)) ⊙ up(x)): the dense MLP of Qwen3 and, with moe_intermediate_size, each MoE expert.
 */
public record SwiGluMlp(Matrix gate, Matrix up, Matrix down) {

    /** Loads {@code prefix}{gate,up,down}_proj.weight, e.g. "model.layers.3.mlp.experts.17.". */
    public static SwiGluMlp load(Checkpoint checkpoint, String prefix, int hidden, int intermediate) {
        return new SwiGluMlp(
                Matrices.load(checkpoint, prefix + "gate_proj.weight", intermediate, hidden),
                Matrices.load(checkpoint, prefix + "up_proj.weight", intermediate, hidden),
                Matrices.load(checkpoint, prefix + "down_proj.weight", hidden, intermediate));
    }

    /**
     * Rows of gate and up computed for all of an FFN's tokens before the next: a multiple of every format's
     * {@link Matrix#rowGrain}, and small enough that both spans' outputs for 128 tokens stay in L2 (64 KB each).
     */
    private static final int SPAN = 128;
    /** What a span's outputs may hold, in floats: 128 rows for 128 tokens. */
    private static final int SPAN_OUTPUTS = SPAN * 128;

    /**
     * Rows of a span for this many tokens: whole multiples of {@link #SPAN} up to {@link #SPAN_OUTPUTS} outputs, so
     * that fewer tokens take longer spans (32 tokens: 512 rows) within the same L2 budget. A format with work per
     * call (q4a8 quantizes every token's inputs) then does it fewer times: with a call per 128 rows that work was 40%
     * of q4a8's gate and up at 32 tokens, when it took 31 µs for 32 × 2048 (14 µs since {@code Int8Inputs} takes the
     * maximum as ints).
     */
    static int spanRows(int tokens) {
        return Math.max(SPAN, SPAN_OUTPUTS / tokens / SPAN * SPAN);
    }

    public float[] forward(float[] x, int tokens, MatMul matMul) {
        float[] y = new float[tokens * down.rows()];
        forwardAll(new SwiGluMlp[]{this}, 1, new int[]{0}, new int[]{tokens}, x, y, matMul);
        return y;
    }

    /**
     * Several FFNs (a layer's experts), each on its own token rows, fused into two parallel passes over all their
     * weight rows: first, for every intermediate row r of every FFN, {@code h[t][r] = silu(gate_r·x_t) · (up_r·x_t)}
     * (gate and up read in the same pass; neither output is stored), then {@code y[t][r] = down_r·h_t}. That is two
     * forks per layer instead of three per expert, and at decode every thread shares the rows of all 8 experts
     * rather than splitting one small matrix at a time. Each number is computed exactly as the unfused MLP would.
     * All FFNs share the hidden size; the intermediate activations are {@link Scratch}.
     *
     * @param count    how many of {@code mlps} run
     * @param rowStart per FFN, its first row in {@code x} and {@code y}
     * @param rows     per FFN, how many rows
     * @param x        [all rows, hidden] inputs
     * @param y        [all rows, hidden] outputs
     */
    public static void forwardAll(SwiGluMlp[] mlps, int count, int[] rowStart, int[] rows, float[] x, float[] y,
                                  MatMul matMul) {
        if (count == 0) {
            return;   // every expert of the batch is computed elsewhere (a mesh's remote replicas)
        }
        // this thread's, as every array of a decode step (Scratch): the parallel passes below end before it returns
        int[] intermediate = Scratch.ints(Scratch.Use.EXPERTS_INTERMEDIATE, count);
        int[] hidden = Scratch.ints(Scratch.Use.EXPERTS_HIDDEN, count);
        int[] hStart = Scratch.ints(Scratch.Use.EXPERTS_H_START, count);
        long upMacs = 0, downMacs = 0;
        int maxTokens = 0, minTokens = Integer.MAX_VALUE, hRows = 0, maxIntermediate = 0;
        for (int m = 0; m < count; m++) {
            SwiGluMlp mlp = mlps[m];
            intermediate[m] = mlp.gate.rows();
            hidden[m] = mlp.down.rows();
            hStart[m] = hRows;
            hRows += rows[m] * intermediate[m];
            maxTokens = Math.max(maxTokens, rows[m]);
            minTokens = Math.min(minTokens, rows[m]);
            maxIntermediate = Math.max(maxIntermediate, intermediate[m]);
            upMacs += 2L * mlp.gate.rows() * mlp.gate.cols() * rows[m];
            downMacs += (long) mlp.down.rows() * mlp.down.cols() * rows[m];
        }
        // every element of h, g and u is written before it is read
        float[] h = Scratch.floatsAtLeast(Scratch.Use.EXPERTS_H, hRows);
        // one token's rows of a chunk, or a span of rows for all of one FFN's tokens
        int gateLength = Math.max(Math.max(maxTokens * SPAN, SPAN_OUTPUTS), maxIntermediate);
        StackedRows upRows = new StackedRows(intermediate, count,
                Scratch.ints(Scratch.Use.EXPERTS_UP_STARTS, count + 1));
        StackedRows downRows = new StackedRows(hidden, count,
                Scratch.ints(Scratch.Use.EXPERTS_DOWN_STARTS, count + 1));
        boolean equalCost = minTokens == maxTokens;   // decoding gives every FFN one token: all rows cost the same
        matMul.parallel(upRows.total(), mlps[0].gate.rowGrain(), upMacs, equalCost, (from, to) -> {
            // this thread's own: workers each have their Scratch
            float[] g = Scratch.floatsAtLeast(Scratch.Use.EXPERTS_GATE, gateLength);
            float[] u = Scratch.floatsAtLeast(Scratch.Use.EXPERTS_UP, gateLength);
            for (int i = from; i < to; ) {
                int m = upRows.owner(i);
                SwiGluMlp mlp = mlps[m];
                int inter = intermediate[m], xAt = rowStart[m] * mlp.gate.cols();
                int end = Math.min(to, upRows.start(m + 1));
                int first = i - upRows.start(m), last = end - upRows.start(m);
                if (rows[m] == 1) {
                    // one token (decoding): this chunk's gate rows, then its up rows, each in one call
                    matMul.rowRange(mlp.gate, first, last, x, xAt, 1, g, -first, 0);
                    matMul.rowRange(mlp.up, first, last, x, xAt, 1, u, -first, 0);
                    for (int r = first; r < last; r++) {
                        h[hStart[m] + r] = silu(g[r - first]) * u[r - first];
                    }
                } else {
                    // several tokens: a span of gate rows, then the same of up rows, each for all the tokens
                    int span = spanRows(rows[m]);
                    for (int a = first; a < last; a += span) {
                        int z = Math.min(last, a + span);
                        matMul.rowRange(mlp.gate, a, z, x, xAt, rows[m], g, -a, span);
                        matMul.rowRange(mlp.up, a, z, x, xAt, rows[m], u, -a, span);
                        for (int t = 0; t < rows[m]; t++) {
                            for (int r = a; r < z; r++) {
                                h[hStart[m] + t * inter + r] = silu(g[t * span + r - a]) * u[t * span + r - a];
                            }
                        }
                    }
                }
                i = end;
            }
        });
        matMul.parallel(downRows.total(), mlps[0].down.rowGrain(), downMacs, equalCost, (from, to) -> {
            for (int i = from; i < to; ) {
                int m = downRows.owner(i);
                SwiGluMlp mlp = mlps[m];
                int out = hidden[m];
                int end = Math.min(to, downRows.start(m + 1));
                matMul.rowRange(mlp.down, i - downRows.start(m), end - downRows.start(m), h, hStart[m], rows[m], y,
                        rowStart[m] * out, out);
                i = end;
            }
        });
    }

    static float silu(float v) {
        return v / (1.0f + (float) Math.exp(-v));
    }
}

package io.moemesh.core.nn;

import io.moemesh.core.kernel.MatMul;
import io.moemesh.core.kernel.StackedRows;
import io.moemesh.core.tensor.Matrices;
import io.moemesh.core.tensor.Matrix;
import io.moemesh.core.weights.Checkpoint;

import java.util.Arrays;

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

    public float[] forward(float[] x, int tokens, MatMul matMul) {
        return forwardAll(new SwiGluMlp[]{this}, new float[][]{x}, new int[]{tokens}, matMul)[0];
    }

    /**
     * Several FFNs (a layer's experts), each on its own token rows, fused into two parallel passes over all their
     * weight rows: first, for every intermediate row r of every FFN, {@code h[t][r] = silu(gate_r·x_t) · (up_r·x_t)}
     * (gate and up read in the same pass; neither output is stored), then {@code y[t][r] = down_r·h_t}. That is two
     * forks per layer instead of three per expert, and at decode every thread shares the rows of all 8 experts
     * rather than splitting one small matrix at a time. Each number is computed exactly as the unfused MLP would.
     *
     * @param xs     per FFN, its [tokens, hidden] input rows
     * @param tokens per FFN, how many rows
     * @return per FFN, its [tokens, hidden] outputs
     */
    public static float[][] forwardAll(SwiGluMlp[] mlps, float[][] xs, int[] tokens, MatMul matMul) {
        int n = mlps.length;
        float[][] h = new float[n][];
        float[][] y = new float[n][];
        int[] intermediate = new int[n], hidden = new int[n];
        long upMacs = 0, downMacs = 0;
        int maxTokens = Arrays.stream(tokens).max().orElse(0);
        for (int m = 0; m < n; m++) {
            SwiGluMlp mlp = mlps[m];
            h[m] = new float[tokens[m] * mlp.gate.rows()];
            y[m] = new float[tokens[m] * mlp.down.rows()];
            intermediate[m] = mlp.gate.rows();
            hidden[m] = mlp.down.rows();
            upMacs += 2L * mlp.gate.rows() * mlp.gate.cols() * tokens[m];
            downMacs += (long) mlp.down.rows() * mlp.down.cols() * tokens[m];
        }
        StackedRows upRows = new StackedRows(intermediate), downRows = new StackedRows(hidden);
        matMul.parallel(upRows.total(), upMacs, (from, to) -> {
            float[] g = new float[maxTokens], u = new float[maxTokens];
            for (int i = from; i < to; ) {
                int m = upRows.owner(i);
                SwiGluMlp mlp = mlps[m];
                int rows = mlp.gate.rows();
                for (int end = Math.min(to, upRows.start(m + 1)); i < end; i++) {
                    int r = i - upRows.start(m);
                    matMul.rowForTokens(mlp.gate, r, xs[m], tokens[m], g, 0, 1);
                    matMul.rowForTokens(mlp.up, r, xs[m], tokens[m], u, 0, 1);
                    for (int t = 0; t < tokens[m]; t++) {
                        h[m][t * rows + r] = silu(g[t]) * u[t];
                    }
                }
            }
        });
        matMul.parallel(downRows.total(), downMacs, (from, to) -> {
            for (int i = from; i < to; ) {
                int m = downRows.owner(i);
                SwiGluMlp mlp = mlps[m];
                int rows = mlp.down.rows();
                for (int end = Math.min(to, downRows.start(m + 1)); i < end; i++) {
                    int r = i - downRows.start(m);
                    matMul.rowForTokens(mlp.down, r, h[m], tokens[m], y[m], r, rows);
                }
            }
        });
        return y;
    }

    static float silu(float v) {
        return v / (1.0f + (float) Math.exp(-v));
    }
}

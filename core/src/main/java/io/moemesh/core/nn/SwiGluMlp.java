package io.moemesh.core.nn;

import io.moemesh.core.kernel.MatMul;
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

    public float[] forward(float[] x, int tokens, MatMul matMul) {
        float[] g = matMul.apply(gate, x, tokens);
        float[] u = matMul.apply(up, x, tokens);
        for (int i = 0; i < g.length; i++) {
            g[i] = silu(g[i]) * u[i];
        }
        return matMul.apply(down, g, tokens);
    }

    static float silu(float v) {
        return v / (1.0f + (float) Math.exp(-v));
    }
}

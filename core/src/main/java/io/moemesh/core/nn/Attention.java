package io.moemesh.core.nn;

import io.moemesh.core.config.Qwen3Config;
import io.moemesh.core.kernel.MatMul;
import io.moemesh.core.kernel.StackedRows;
import io.moemesh.core.kernel.Scratch;
import io.moemesh.core.kernel.Parallel;
import io.moemesh.core.tensor.Matrices;
import io.moemesh.core.tensor.Matrix;
import io.moemesh.core.weights.Checkpoint;

/**
 * One Qwen3 attention layer: Q/K/V projections (no bias) → per-head RMSNorm of q and k (QK-Norm) → RoPE →
 * append to the KV cache → grouped-query attention with a causal mask → o_proj. Input is already normed by the
 * decoder layer; the residual is added by the caller.
 */
public final class Attention {
    private final Matrix qProj, kProj, vProj, oProj;
    private final RmsNorm qNorm, kNorm;
    private final RotaryEmbedding rope;
    private final int heads, kvHeads, headDim, hidden;
    private final float scale;
    private final MatMul matMul;
    private final AttentionKernel kernel = AttentionKernel.vector();
    private final Matrix[] qkv;
    private final StackedRows qkvRows;

    public Attention(Matrix qProj, Matrix kProj, Matrix vProj, Matrix oProj, RmsNorm qNorm, RmsNorm kNorm,
                     RotaryEmbedding rope, Qwen3Config config, MatMul matMul) {
        this.qProj = qProj;
        this.kProj = kProj;
        this.vProj = vProj;
        this.oProj = oProj;
        this.qNorm = qNorm;
        this.kNorm = kNorm;
        this.rope = rope;
        this.heads = config.numAttentionHeads();
        this.kvHeads = config.numKeyValueHeads();
        this.headDim = config.headDim();
        this.hidden = config.hiddenSize();
        this.scale = (float) (1.0 / Math.sqrt(headDim));
        this.matMul = matMul;
        this.qkv = new Matrix[]{qProj, kProj, vProj};
        this.qkvRows = new StackedRows(qkv);
    }

    public static Attention load(Checkpoint checkpoint, int layer, RotaryEmbedding rope, MatMul matMul) {
        Qwen3Config c = checkpoint.config();
        String p = "model.layers." + layer + ".self_attn.";
        float eps = (float) c.rmsNormEps();
        return new Attention(
                Matrices.load(checkpoint, p + "q_proj.weight", c.qDim(), c.hiddenSize()),
                Matrices.load(checkpoint, p + "k_proj.weight", c.kvDim(), c.hiddenSize()),
                Matrices.load(checkpoint, p + "v_proj.weight", c.kvDim(), c.hiddenSize()),
                Matrices.load(checkpoint, p + "o_proj.weight", c.hiddenSize(), c.qDim()),
                new RmsNorm(Matrices.vector(checkpoint, p + "q_norm.weight", c.headDim()), eps),
                new RmsNorm(Matrices.vector(checkpoint, p + "k_norm.weight", c.headDim()), eps),
                rope, c, matMul);
    }

    /**
     * @param x        {@code tokens} normed hidden rows, the sequence's tokens at positions cache.length() onward
     * @return the attention output rows (before the residual)
     */
    public float[] forward(float[] x, int tokens, KvCache cache) {
        int qDim = heads * headDim, kvDim = kvHeads * headDim;
        // Every activation here is Scratch: this layer's output is consumed (added to the residual, or sent) before
        // the thread runs attention again.
        float[] q = Scratch.floats(Scratch.Use.ATTENTION_Q, tokens * qDim);
        float[] k = Scratch.floats(Scratch.Use.ATTENTION_K, tokens * kvDim);
        float[] v = Scratch.floats(Scratch.Use.ATTENTION_V, tokens * kvDim);
        matMul.applyAll(qkv, qkvRows, x, tokens, new float[][]{q, k, v});
        qNorm.apply(q, tokens * heads, q);
        kNorm.apply(k, tokens * kvHeads, k);
        int start = cache.length();
        for (int t = 0; t < tokens; t++) {
            rope.apply(q, t * qDim, heads, start + t);
            rope.apply(k, t * kvDim, kvHeads, start + t);
            cache.append(k, t * kvDim, v, t * kvDim);
        }
        // not zeroed here: the kernel writes every head of every token
        float[] out = Scratch.floatsAtLeast(Scratch.Use.ATTENTION_HEADS, tokens * qDim);
        // A unit of work is some query heads of one token that share a KV head: the kernel reads the KV head's
        // cache once for all of them. A group is split only as far as it takes to give every thread work.
        int group = heads / kvHeads;
        int parts = Math.clamp((Parallel.threads() + tokens * kvHeads - 1) / (tokens * kvHeads), 1, group);
        int perPart = (group + parts - 1) / parts;
        Parallel.forRange(tokens * kvHeads * parts, (from, to) -> {
            for (int unit = from; unit < to; unit++) {
                int t = unit / (kvHeads * parts), kvHead = unit / parts % kvHeads, part = unit % parts;
                int firstHead = kvHead * group + part * perPart, count = Math.min(perPart, group - part * perPart);
                if (count <= 0) {
                    continue;
                }
                int qOffset = t * qDim + firstHead * headDim;
                // causal: position start+t sees itself and everything before
                kernel.attend(q, qOffset, count, cache, kvHead * headDim, headDim, start + t + 1, scale, out, qOffset);
            }
        });
        float[] o = Scratch.floats(Scratch.Use.ATTENTION_O, tokens * hidden);
        matMul.apply(oProj, out, tokens, o);
        return o;
    }

    public int hiddenSize() {
        return hidden;
    }
}

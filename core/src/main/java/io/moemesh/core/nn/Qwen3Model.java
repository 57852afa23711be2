package io.moemesh.core.nn;

import io.moemesh.core.config.Qwen3Config;
import io.moemesh.core.kernel.MatMul;
import io.moemesh.core.kernel.Scratch;
import io.moemesh.core.roles.AttentionBackend;
import io.moemesh.core.roles.ExpertBackend;
import io.moemesh.core.roles.FeedForwardBackend;
import io.moemesh.core.roles.LocalAttention;
import io.moemesh.core.roles.LocalExperts;
import io.moemesh.core.roles.LocalFeedForward;
import io.moemesh.core.roles.SequenceRows;
import io.moemesh.core.tensor.Matrices;
import io.moemesh.core.tensor.Matrix;
import io.moemesh.core.weights.Checkpoint;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Qwen3 / Qwen3-MoE for causal LM, as transformers computes it:
 * <pre>
 *   h = embed(tokens)
 *   for each layer:  h = h + attention(rmsnorm(h));  h = h + mlp_or_moe(rmsnorm(h))
 *   logits = lm_head(rmsnorm(h))
 * </pre>
 * This class keeps the head (embeddings, norms, lm_head) and drives the layer loop; attention and the
 * feed-forward blocks are roles behind interfaces, in this JVM or across the mesh.
 */
public final class Qwen3Model implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Qwen3Model.class.getName());

    private final Qwen3Config config;
    private final Matrix embedTokens;
    private final Matrix lmHead;
    private final RmsNorm[] inputNorms;
    private final RmsNorm[] postAttentionNorms;
    private final RmsNorm finalNorm;
    private final AttentionBackend attention;
    private final FeedForwardBackend feedForward;
    private final MatMul matMul;

    public Qwen3Model(Qwen3Config config, Matrix embedTokens, Matrix lmHead, RmsNorm[] inputNorms,
                      RmsNorm[] postAttentionNorms, RmsNorm finalNorm, AttentionBackend attention,
                      FeedForwardBackend feedForward, MatMul matMul) {
        this.config = config;
        this.embedTokens = embedTokens;
        this.lmHead = lmHead;
        this.inputNorms = inputNorms;
        this.postAttentionNorms = postAttentionNorms;
        this.finalNorm = finalNorm;
        this.attention = attention;
        this.feedForward = feedForward;
        this.matMul = matMul;
    }

    /** Every role in this JVM: the embedded engine. */
    public static Qwen3Model load(Checkpoint checkpoint, MatMul matMul) {
        long start = System.nanoTime();
        Qwen3Config c = checkpoint.config();
        ExpertBackend experts = new LocalExperts(checkpoint, (layer, expert) -> true, matMul);
        Qwen3Model model = load(checkpoint, new LocalAttention(checkpoint, matMul),
                new LocalFeedForward(checkpoint, experts, matMul), matMul);
        LOG.log(System.Logger.Level.INFO, "loaded {0} ({1}, {2} layers{3}) from {4}: {5} MB {6} in {7} ms",
                c.modelType(), checkpoint.dir().toString().endsWith(".gguf") ? "gguf" : c.isFp8() ? "fp8" : "bf16", c.numHiddenLayers(),
                c.isMoe() ? ", " + c.numExperts() + " experts top-" + c.numExpertsPerToken() : "",
                checkpoint.dir(), checkpoint.bytesLoaded() >> 20, checkpoint.mode(),
                (System.nanoTime() - start) / 1_000_000);
        return model;
    }

    /** The head of the model from the checkpoint, with the given attention and feed-forward roles. */
    public static Qwen3Model load(Checkpoint checkpoint, AttentionBackend attention, FeedForwardBackend feedForward,
                                  MatMul matMul) {
        Qwen3Config c = checkpoint.config();
        float eps = (float) c.rmsNormEps();
        // Embedding rows are copied out one per token: they stay as stored. A tied lm_head takes the head's format.
        Matrix embed = Matrices.stored(checkpoint, "model.embed_tokens.weight", c.vocabSize(), c.hiddenSize());
        Matrix head = c.tieWordEmbeddings() && !checkpoint.contains("lm_head.weight")
                ? checkpoint.plan().head().quantize(embed, checkpoint.arena())
                : Matrices.load(checkpoint, "lm_head.weight", c.vocabSize(), c.hiddenSize());
        RmsNorm[] in = new RmsNorm[c.numHiddenLayers()];
        RmsNorm[] post = new RmsNorm[c.numHiddenLayers()];
        for (int l = 0; l < in.length; l++) {
            String p = "model.layers." + l + ".";
            in[l] = new RmsNorm(Matrices.vector(checkpoint, p + "input_layernorm.weight", c.hiddenSize()), eps);
            post[l] = new RmsNorm(Matrices.vector(checkpoint, p + "post_attention_layernorm.weight", c.hiddenSize()), eps);
        }
        RmsNorm fin = new RmsNorm(Matrices.vector(checkpoint, "model.norm.weight", c.hiddenSize()), eps);
        return new Qwen3Model(c, embed, head, in, post, fin, attention, feedForward, matMul);
    }

    public Qwen3Config config() {
        return config;
    }

    /**
     * Runs the next {@code tokens} of a sequence (the whole prompt at prefill, one token at decode), extending its
     * KV cache.
     *
     * @param allLogits logits for every position, or only the last (decode never needs the others)
     * @return [positions, vocab] logits
     */
    public float[] forward(long sequenceId, int[] tokens, boolean allLogits, ForwardTrace trace) {
        int n = tokens.length, hidden = config.hiddenSize();
        float[] h = embed(tokens);
        decoderLayers(h, List.of(new SequenceRows(sequenceId, 0, n)), trace);
        finalNorm.apply(h, n, h);
        if (trace != null) {
            trace.hiddenStates(config.numHiddenLayers(), h.clone(), n);
        }
        if (allLogits) {
            return matMul.apply(lmHead, h, n);
        }
        float[] last = new float[hidden];
        System.arraycopy(h, (n - 1) * hidden, last, 0, hidden);
        return matMul.apply(lmHead, last, 1);
    }

    /**
     * One step of continuous batching: every sequence's next tokens go through the layers together, so each layer's
     * feed-forward (one router round trip in a mesh) and the lm_head read serve the whole batch. Each sequence gets
     * exactly the numbers it would get alone: attention is per sequence and everything else is per row.
     *
     * @return per chunk, the logits of its last position, or null where the chunk did not ask for them
     */
    public float[][] step(List<SequenceChunk> chunks) {
        float[][] logits = new float[chunks.size()][];
        for (int i = 0; i < logits.length; i++) {
            logits[i] = chunks.get(i).wantsLogits() ? new float[config.vocabSize()] : null;
        }
        step(chunks, logits);
        return logits;
    }

    /**
     * {@link #step(List)} into the caller's logits arrays (one of vocab size per chunk that wants logits; the
     * scheduler keeps one per sequence), so that decoding allocates no activations: everything in between is
     * {@link Scratch}.
     */
    public void step(List<SequenceChunk> chunks, float[][] logitsInto) {
        int hidden = config.hiddenSize(), rows = 0;
        List<SequenceRows> layout = new ArrayList<>(chunks.size());
        for (SequenceChunk chunk : chunks) {
            layout.add(new SequenceRows(chunk.sequenceId(), rows, chunk.tokens().length));
            rows += chunk.tokens().length;
        }
        float[] h = Scratch.floats(Scratch.Use.STEP_HIDDEN, rows * hidden);
        for (int i = 0; i < chunks.size(); i++) {
            embed(chunks.get(i).tokens(), h, layout.get(i).firstRow() * hidden);
        }
        decoderLayers(h, layout, null);
        // Only the last row of the sequences that sample now goes through the final norm and lm_head.
        int wanted = 0;
        for (SequenceChunk chunk : chunks) {
            wanted += chunk.wantsLogits() ? 1 : 0;
        }
        if (wanted == 0) {
            return;
        }
        float[] last = Scratch.floats(Scratch.Use.STEP_LAST_ROWS, wanted * hidden);
        int k = 0;
        for (int i = 0; i < chunks.size(); i++) {
            if (chunks.get(i).wantsLogits()) {
                SequenceRows s = layout.get(i);
                System.arraycopy(h, (s.firstRow() + s.tokens() - 1) * hidden, last, k++ * hidden, hidden);
            }
        }
        finalNorm.apply(last, wanted, last);
        int vocab = config.vocabSize();
        float[] all = Scratch.floats(Scratch.Use.STEP_LOGITS, wanted * vocab);
        matMul.apply(lmHead, last, wanted, all);
        k = 0;
        for (int i = 0; i < chunks.size(); i++) {
            if (chunks.get(i).wantsLogits()) {
                System.arraycopy(all, k++ * vocab, logitsInto[i], 0, vocab);
            }
        }
    }

    /** h ← the residual stream after every decoder layer, for the step's rows laid out as {@code batch}. */
    private void decoderLayers(float[] h, List<SequenceRows> batch, ForwardTrace trace) {
        int hidden = config.hiddenSize(), n = h.length / hidden;
        float[] normed = Scratch.floats(Scratch.Use.LAYER_NORMED, h.length);
        if (trace != null) {
            trace.hiddenStates(0, h.clone(), n);
        }
        for (int layer = 0; layer < config.numHiddenLayers(); layer++) {
            inputNorms[layer].apply(h, n, normed);
            add(h, attention.attend(layer, batch, normed, hidden));
            postAttentionNorms[layer].apply(h, n, normed);
            FeedForwardBackend.Output mlp = feedForward.forward(layer, normed, n, trace != null);
            add(h, mlp.hidden());
            if (trace != null) {
                if (mlp.routing() != null) {
                    trace.routing(layer, mlp.routing());
                }
                if (layer < config.numHiddenLayers() - 1) {
                    trace.hiddenStates(layer + 1, h.clone(), n);
                }
            }
        }
    }

    private float[] embed(int[] tokens) {
        float[] h = new float[tokens.length * config.hiddenSize()];
        embed(tokens, h, 0);
        return h;
    }

    private void embed(int[] tokens, float[] h, int offset) {
        int hidden = config.hiddenSize();
        for (int t = 0; t < tokens.length; t++) {
            if (tokens[t] < 0 || tokens[t] >= config.vocabSize()) {
                throw new IllegalArgumentException("token id " + tokens[t] + " is outside the vocabulary [0, "
                        + config.vocabSize() + ")");
            }
            embedTokens.row(tokens[t], h, offset + t * hidden);
        }
    }

    private static void add(float[] acc, float[] delta) {
        for (int i = 0; i < acc.length; i++) {
            acc[i] += delta[i];
        }
    }

    public void release(long sequenceId) {
        attention.release(sequenceId);
    }

    @Override
    public void close() {
        attention.close();
        feedForward.close();
    }
}

package io.moemesh.core.weights.gguf;

import io.moemesh.core.config.ConfigException;
import io.moemesh.core.config.Qwen3Config;
import io.moemesh.core.config.RopeScaling;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The model config of a GGUF file: {@code general.architecture} ({@code qwen3} or {@code qwen3moe}) and its
 * {@code {arch}.*} keys, as llama.cpp's converter writes them from config.json. What GGUF does not store is
 * taken from the tensors (vocabulary size from token_embd's rows, tied embeddings from a missing output.weight,
 * dense layers of a MoE model from a missing router) or from what llama.cpp's qwen3moe graph does (it always
 * renormalises the top-k weights).
 */
public final class GgufConfig {
    public static final String DENSE = "qwen3";
    public static final String MOE = "qwen3moe";

    private GgufConfig() {
    }

    public static Qwen3Config read(GgufFile f) {
        return read(List.of(f));
    }

    /** A model split into several files (llama.cpp's gguf-split): metadata from the first, tensors from any. */
    public static Qwen3Config read(List<GgufFile> files) {
        GgufFile f = files.getFirst();
        java.util.Map<String, GgufFile.TensorInfo> tensors = new java.util.HashMap<>();
        files.forEach(file -> tensors.putAll(file.tensors()));
        String source = f.path().toString();
        String arch = f.string("general.architecture");
        if (!DENSE.equals(arch) && !MOE.equals(arch)) {
            throw new ConfigException(source + ": general.architecture '" + arch + "' is not supported (expected "
                    + DENSE + " or " + MOE + ")");
        }
        boolean moe = MOE.equals(arch);
        String k = arch + ".";
        int layers = positive(f, k + "block_count");
        int hidden = positive(f, k + "embedding_length");
        int heads = positive(f, k + "attention.head_count");
        int kvHeads = f.has(k + "attention.head_count_kv") ? positive(f, k + "attention.head_count_kv") : heads;
        if (heads % kvHeads != 0) {
            throw new ConfigException(source + ": attention.head_count " + heads + " is not a multiple of head_count_kv " + kvHeads);
        }
        // llama.cpp's own fallback when key_length is absent; Qwen3 files always carry it (head_dim × heads ≠ hidden).
        int headDim = f.has(k + "attention.key_length") ? positive(f, k + "attention.key_length") : hidden / heads;
        if (f.has(k + "attention.value_length") && positive(f, k + "attention.value_length") != headDim) {
            throw new ConfigException(source + ": attention.value_length differs from key_length (Qwen3 has one head_dim)");
        }
        if (!tensors.containsKey("token_embd.weight")) {
            throw new ConfigException(source + ": tensor 'token_embd.weight' is missing");
        }
        GgufFile.TensorInfo embd = tensors.get("token_embd.weight");
        if (embd.dims().length != 2) {
            throw new ConfigException(source + ": token_embd.weight must be 2-D");
        }
        int vocab = Math.toIntExact(embd.dims()[1]);

        int numExperts = 0, topK = 0, moeIntermediate = 0;
        Set<Integer> mlpOnly = new TreeSet<>();
        if (moe) {
            numExperts = positive(f, k + "expert_count");
            topK = positive(f, k + "expert_used_count");
            if (topK > numExperts) {
                throw new ConfigException(source + ": expert_used_count " + topK + " > expert_count " + numExperts);
            }
            moeIntermediate = positive(f, k + "expert_feed_forward_length");
            for (int l = 0; l < layers; l++) {
                if (!tensors.containsKey("blk." + l + ".ffn_gate_inp.weight")) {
                    mlpOnly.add(l);
                }
            }
        }
        int intermediate = f.has(k + "feed_forward_length") ? positive(f, k + "feed_forward_length") : 0;
        if ((!moe || !mlpOnly.isEmpty()) && intermediate == 0) {
            throw new ConfigException(source + ": metadata '" + k + "feed_forward_length' is missing (dense layers need it)");
        }
        List<Integer> eos = new ArrayList<>();
        if (f.has("tokenizer.ggml.eos_token_id")) {
            eos.add(Math.toIntExact(f.integer("tokenizer.ggml.eos_token_id")));
        }
        return new Qwen3Config(moe ? Qwen3Config.MOE : Qwen3Config.DENSE, vocab, hidden, intermediate, layers,
                heads, kvHeads, headDim, f.number(k + "attention.layer_norm_rms_epsilon", 1e-6),
                f.number(k + "rope.freq_base", 10000.0), ropeScaling(f, k, source),
                Math.toIntExact(f.integer(k + "context_length", 32768)), !tensors.containsKey("output.weight"), false, "silu",
                numExperts, topK, moeIntermediate, moe && f.bool(k + "expert_weights_norm", true), 1,
                Set.copyOf(mlpOnly), List.copyOf(eos), null, null);
    }

    private static RopeScaling ropeScaling(GgufFile f, String k, String source) {
        String type = f.has(k + "rope.scaling.type") ? f.string(k + "rope.scaling.type") : "none";
        if ("none".equals(type)) {
            return null;
        }
        if (!"yarn".equals(type)) {
            throw new ConfigException(source + ": rope.scaling.type '" + type + "' is not supported (yarn is)");
        }
        double factor = f.number(k + "rope.scaling.factor");
        if (!(factor > 0)) {
            throw new ConfigException(source + ": rope.scaling.factor must be positive, got " + factor);
        }
        Integer original = f.has(k + "rope.scaling.original_context_length")
                ? Math.toIntExact(f.integer(k + "rope.scaling.original_context_length")) : null;
        Double attentionFactor = f.has(k + "rope.scaling.attn_factor") ? f.number(k + "rope.scaling.attn_factor") : null;
        return new RopeScaling("yarn", factor, original, attentionFactor, null, null,
                f.number(k + "rope.scaling.yarn_beta_fast", 32.0), f.number(k + "rope.scaling.yarn_beta_slow", 1.0), true);
    }

    private static int positive(GgufFile f, String key) {
        long v = f.integer(key);
        if (v <= 0 || v > Integer.MAX_VALUE) {
            throw new ConfigException(f.path() + ": metadata '" + key + "' must be a positive integer, got " + v);
        }
        return (int) v;
    }
}

package io.moemesh.core.weights.gguf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.moemesh.core.config.Qwen3Config;
import io.moemesh.core.config.RopeScaling;
import io.moemesh.core.tensor.Matrices;
import io.moemesh.core.tensor.Matrix;
import io.moemesh.core.weights.Checkpoint;
import io.moemesh.core.weights.DType;
import io.moemesh.core.weights.LoadMode;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Converts a reference fixture (safetensors + config.json) to GGUF as llama.cpp's convert_hf_to_gguf.py does for
 * Qwen3 / Qwen3-MoE: the same metadata keys, llama.cpp tensor names, experts stacked into 3-D tensors, norms and
 * the router in F32, everything else in the chosen type. The fixtures bring no tokenizer, so Qwen3's (the one
 * embedded in this jar) is written, with llama.cpp's token types.
 */
public final class FixtureGguf {
    private static final String TOKENIZER = "/io/moemesh/core/tokenizer/qwen3/";
    private static volatile Vocab vocab;

    record Vocab(List<String> tokens, int[] types, List<String> merges, String chatTemplate, int eosId, int padId) {
    }

    private FixtureGguf() {
    }

    public static Path convert(Path fixtureDir, DType weights, Path out) {
        try (Checkpoint ck = Checkpoint.open(fixtureDir, LoadMode.MMAP)) {
            writer(ck, weights).write(out);
        }
        return out;
    }

    static GgufWriter writer(Checkpoint ck, DType weights) {
        Qwen3Config c = ck.config();
        String arch = c.isMoe() ? "qwen3moe" : "qwen3";
        String k = arch + ".";
        GgufWriter w = new GgufWriter()
                .string("general.architecture", arch)
                .string("general.name", ck.dir().getFileName().toString())
                .u32(k + "block_count", c.numHiddenLayers())
                .u32(k + "context_length", c.maxPositionEmbeddings())
                .u32(k + "embedding_length", c.hiddenSize())
                .u32(k + "attention.head_count", c.numAttentionHeads())
                .u32(k + "attention.head_count_kv", c.numKeyValueHeads())
                .u32(k + "attention.key_length", c.headDim())
                .u32(k + "attention.value_length", c.headDim())
                .f32(k + "rope.freq_base", c.ropeTheta())
                .f32(k + "attention.layer_norm_rms_epsilon", c.rmsNormEps());
        if (c.intermediateSize() > 0) {
            w.u32(k + "feed_forward_length", c.intermediateSize());
        }
        if (c.isMoe()) {
            w.u32(k + "expert_count", c.numExperts())
                    .u32(k + "expert_used_count", c.numExpertsPerToken())
                    .u32(k + "expert_feed_forward_length", c.moeIntermediateSize());
        }
        RopeScaling r = c.ropeScaling();
        if (r != null) {
            w.string(k + "rope.scaling.type", "yarn").f32(k + "rope.scaling.factor", r.factor());
            if (r.originalMaxPositionEmbeddings() != null) {
                w.u32(k + "rope.scaling.original_context_length", r.originalMaxPositionEmbeddings());
            }
            if (r.attentionFactor() != null) {
                w.f32(k + "rope.scaling.attn_factor", r.attentionFactor());
            }
            w.f32(k + "rope.scaling.yarn_beta_fast", r.betaFast()).f32(k + "rope.scaling.yarn_beta_slow", r.betaSlow());
        }
        Vocab v = vocab();
        w.string("tokenizer.ggml.model", "gpt2").string("tokenizer.ggml.pre", "qwen2")
                .strings("tokenizer.ggml.tokens", v.tokens()).i32s("tokenizer.ggml.token_type", v.types())
                .strings("tokenizer.ggml.merges", v.merges())
                .u32("tokenizer.ggml.eos_token_id", c.eosTokenIds().isEmpty() ? v.eosId() : c.eosTokenIds().getFirst())
                .u32("tokenizer.ggml.padding_token_id", v.padId())
                .string("tokenizer.chat_template", v.chatTemplate());

        int hidden = c.hiddenSize();
        matrix(w, ck, "model.embed_tokens.weight", "token_embd.weight", c.vocabSize(), hidden, weights);
        if (ck.contains("lm_head.weight")) {
            matrix(w, ck, "lm_head.weight", "output.weight", c.vocabSize(), hidden, weights);
        }
        vector(w, ck, "model.norm.weight", "output_norm.weight", hidden);
        for (int l = 0; l < c.numHiddenLayers(); l++) {
            String p = "model.layers." + l + ".", b = "blk." + l + ".";
            vector(w, ck, p + "input_layernorm.weight", b + "attn_norm.weight", hidden);
            vector(w, ck, p + "post_attention_layernorm.weight", b + "ffn_norm.weight", hidden);
            matrix(w, ck, p + "self_attn.q_proj.weight", b + "attn_q.weight", c.qDim(), hidden, weights);
            matrix(w, ck, p + "self_attn.k_proj.weight", b + "attn_k.weight", c.kvDim(), hidden, weights);
            matrix(w, ck, p + "self_attn.v_proj.weight", b + "attn_v.weight", c.kvDim(), hidden, weights);
            matrix(w, ck, p + "self_attn.o_proj.weight", b + "attn_output.weight", hidden, c.qDim(), weights);
            vector(w, ck, p + "self_attn.q_norm.weight", b + "attn_q_norm.weight", c.headDim());
            vector(w, ck, p + "self_attn.k_norm.weight", b + "attn_k_norm.weight", c.headDim());
            if (c.isMoeLayer(l)) {
                // llama.cpp keeps the router (ffn_gate_inp) in F32 whatever the output type
                matrix(w, ck, p + "mlp.gate.weight", b + "ffn_gate_inp.weight", c.numExperts(), hidden, DType.F32);
                int inter = c.moeIntermediateSize();
                experts(w, ck, p, "gate_proj", b + "ffn_gate_exps.weight", c.numExperts(), inter, hidden, weights);
                experts(w, ck, p, "up_proj", b + "ffn_up_exps.weight", c.numExperts(), inter, hidden, weights);
                experts(w, ck, p, "down_proj", b + "ffn_down_exps.weight", c.numExperts(), hidden, inter, weights);
            } else {
                int inter = c.intermediateSize();
                matrix(w, ck, p + "mlp.gate_proj.weight", b + "ffn_gate.weight", inter, hidden, weights);
                matrix(w, ck, p + "mlp.up_proj.weight", b + "ffn_up.weight", inter, hidden, weights);
                matrix(w, ck, p + "mlp.down_proj.weight", b + "ffn_down.weight", hidden, inter, weights);
            }
        }
        return w;
    }

    /** The matrix's values row by row, whatever its stored format (bf16, fp8 blocks): the GGUF gets the same numbers. */
    static float[] values(Checkpoint ck, String name, int rows, int cols) {
        Matrix m = Matrices.stored(ck, name, rows, cols);
        float[] out = new float[rows * cols];
        for (int r = 0; r < rows; r++) {
            m.row(r, out, r * cols);
        }
        return out;
    }

    private static void matrix(GgufWriter w, Checkpoint ck, String hf, String gguf, int rows, int cols, DType type) {
        w.tensor(gguf, type, new long[]{cols, rows}, GgufWriter.encode(type, values(ck, hf, rows, cols)));
    }

    private static void vector(GgufWriter w, Checkpoint ck, String hf, String gguf, int length) {
        w.tensor(gguf, DType.F32, new long[]{length}, GgufWriter.encode(DType.F32, Matrices.vector(ck, hf, length)));
    }

    private static void experts(GgufWriter w, Checkpoint ck, String prefix, String projection, String gguf, int experts,
                                int rows, int cols, DType type) {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (int e = 0; e < experts; e++) {
            all.writeBytes(GgufWriter.encode(type,
                    values(ck, prefix + "mlp.experts." + e + "." + projection + ".weight", rows, cols)));
        }
        w.tensor(gguf, type, new long[]{cols, rows, experts}, all.toByteArray());
    }

    /**
     * Qwen3's vocabulary as convert_hf_to_gguf.py lists it: every id up to the last added token; normal tokens in
     * the byte alphabet; added tokens as text, CONTROL when special or looking special ({@code <|...|>}), else
     * USER_DEFINED; holes as [PADn] UNUSED.
     */
    static Vocab vocab() {
        Vocab v = vocab;
        if (v == null) {
            synchronized (FixtureGguf.class) {
                if (vocab == null) {
                    vocab = readVocab();
                }
                v = vocab;
            }
        }
        return v;
    }

    private static Vocab readVocab() {
        ObjectMapper json = new ObjectMapper();
        JsonNode tok = resource(json, "tokenizer.json");
        JsonNode config = resource(json, "tokenizer_config.json");
        Map<Integer, String> byId = new TreeMap<>();
        Map<Integer, Integer> types = new TreeMap<>();
        tok.get("model").get("vocab").properties().forEach(e -> {
            byId.put(e.getValue().asInt(), e.getKey());
            types.put(e.getValue().asInt(), 1);
        });
        for (JsonNode t : tok.get("added_tokens")) {
            String content = t.get("content").asText();
            boolean looksSpecial = content.startsWith("<|") && content.endsWith("|>");
            byId.put(t.get("id").asInt(), content);
            types.put(t.get("id").asInt(), t.get("special").asBoolean() || looksSpecial ? 3 : 4);
        }
        int size = byId.keySet().stream().mapToInt(Integer::intValue).max().orElseThrow() + 1;
        List<String> tokens = new ArrayList<>(size);
        int[] tokenTypes = new int[size];
        for (int id = 0; id < size; id++) {
            tokens.add(byId.getOrDefault(id, "[PAD" + id + "]"));
            tokenTypes[id] = types.getOrDefault(id, 5);
        }
        List<String> merges = new ArrayList<>();
        for (JsonNode m : tok.get("model").get("merges")) {
            merges.add(m.isArray() ? m.get(0).asText() + " " + m.get(1).asText() : m.asText());
        }
        String eos = config.get("eos_token").asText(), pad = config.get("pad_token").asText();
        return new Vocab(List.copyOf(tokens), tokenTypes, List.copyOf(merges), config.get("chat_template").asText(),
                tokens.indexOf(eos), tokens.indexOf(pad));
    }

    private static JsonNode resource(ObjectMapper json, String name) {
        try (InputStream in = FixtureGguf.class.getResourceAsStream(TOKENIZER + name)) {
            return json.readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

}

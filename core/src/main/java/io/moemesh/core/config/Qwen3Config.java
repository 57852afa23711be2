package io.moemesh.core.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * A Qwen3 ({@code model_type: qwen3}) or Qwen3-MoE ({@code qwen3_moe}) config.json, with the keys the published
 * checkpoints use. {@code head_dim} is read, never derived: in Qwen3 {@code head_dim × heads ≠ hidden_size}.
 */
public record Qwen3Config(
        String modelType,
        int vocabSize,
        int hiddenSize,
        int intermediateSize,
        int numHiddenLayers,
        int numAttentionHeads,
        int numKeyValueHeads,
        int headDim,
        double rmsNormEps,
        double ropeTheta,
        RopeScaling ropeScaling,
        int maxPositionEmbeddings,
        boolean tieWordEmbeddings,
        boolean attentionBias,
        String hiddenAct,
        int numExperts,
        int numExpertsPerToken,
        int moeIntermediateSize,
        boolean normTopkProb,
        int decoderSparseStep,
        Set<Integer> mlpOnlyLayers,
        List<Integer> eosTokenIds,
        Integer fp8BlockRows,
        Integer fp8BlockCols) {

    public static final String DENSE = "qwen3";
    public static final String MOE = "qwen3_moe";
    private static final ObjectMapper JSON = new ObjectMapper();

    public static Qwen3Config load(Path configJson) {
        JsonNode root;
        try {
            root = JSON.readTree(Files.readString(configJson));
        } catch (IOException e) {
            throw new ConfigException(configJson + ": cannot read config.json: " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new ConfigException(configJson + ": not a JSON object");
        }
        return parse(root, configJson.toString());
    }

    public static Qwen3Config parse(JsonNode c, String source) {
        Keys k = new Keys(c, source);
        String modelType = k.string("model_type", null);
        if (!DENSE.equals(modelType) && !MOE.equals(modelType)) {
            throw new ConfigException(source + ": model_type '" + modelType + "' is not supported (expected qwen3 or qwen3_moe)");
        }
        boolean moe = MOE.equals(modelType);
        int hidden = k.positiveInt("hidden_size");
        int heads = k.positiveInt("num_attention_heads");
        int kvHeads = c.has("num_key_value_heads") && !c.get("num_key_value_heads").isNull()
                ? k.positiveInt("num_key_value_heads") : heads;
        if (heads % kvHeads != 0) {
            throw new ConfigException(source + ": num_attention_heads " + heads + " is not a multiple of num_key_value_heads " + kvHeads);
        }
        // transformers falls back to hidden/heads only when head_dim is absent; every published Qwen3 config sets it.
        int headDim = c.hasNonNull("head_dim") ? k.positiveInt("head_dim") : hidden / heads;
        String act = k.string("hidden_act", "silu");
        if (!"silu".equals(act)) {
            throw new ConfigException(source + ": hidden_act '" + act + "' is not supported (Qwen3 uses silu)");
        }
        if (k.bool("attention_bias", false)) {
            throw new ConfigException(source + ": attention_bias=true is not supported (Qwen3 has no QKV bias)");
        }
        if (k.bool("use_sliding_window", false)) {
            throw new ConfigException(source + ": use_sliding_window=true is not supported");
        }
        double ropeTheta = k.number("rope_theta", 10000.0);
        int maxPos = k.intValue("max_position_embeddings", 32768);
        RopeScaling scaling = parseRopeScaling(c.get("rope_scaling"), source);

        Integer blockRows = null, blockCols = null;
        JsonNode q = c.get("quantization_config");
        if (q != null && !q.isNull()) {
            String method = q.path("quant_method").asText("");
            if (!"fp8".equals(method)) {
                throw new ConfigException(source + ": quantization_config.quant_method '" + method + "' is not supported (fp8 is)");
            }
            JsonNode block = q.get("weight_block_size");
            if (block == null || !block.isArray() || block.size() != 2) {
                throw new ConfigException(source + ": quantization_config.weight_block_size must be [rows, cols]");
            }
            blockRows = block.get(0).asInt();
            blockCols = block.get(1).asInt();
        }

        Set<Integer> mlpOnly = new TreeSet<>();
        JsonNode mlpOnlyNode = c.get("mlp_only_layers");
        if (mlpOnlyNode != null && mlpOnlyNode.isArray()) {
            mlpOnlyNode.forEach(n -> mlpOnly.add(n.asInt()));
        }
        List<Integer> eos = new ArrayList<>();
        JsonNode eosNode = c.get("eos_token_id");
        if (eosNode != null && eosNode.isArray()) {
            eosNode.forEach(n -> eos.add(n.asInt()));
        } else if (eosNode != null && eosNode.isInt()) {
            eos.add(eosNode.asInt());
        }

        int numExperts = moe ? k.positiveInt("num_experts") : 0;
        int topK = moe ? k.positiveInt("num_experts_per_tok") : 0;
        if (moe && topK > numExperts) {
            throw new ConfigException(source + ": num_experts_per_tok " + topK + " > num_experts " + numExperts);
        }
        return new Qwen3Config(modelType, k.positiveInt("vocab_size"), hidden,
                c.hasNonNull("intermediate_size") ? k.positiveInt("intermediate_size") : 0,
                k.positiveInt("num_hidden_layers"), heads, kvHeads, headDim,
                k.number("rms_norm_eps", 1e-6), ropeTheta, scaling, maxPos,
                k.bool("tie_word_embeddings", false), false, act,
                numExperts, topK, moe ? k.positiveInt("moe_intermediate_size") : 0,
                k.bool("norm_topk_prob", false), k.intValue("decoder_sparse_step", 1),
                Set.copyOf(mlpOnly), List.copyOf(eos), blockRows, blockCols);
    }

    private static RopeScaling parseRopeScaling(JsonNode r, String source) {
        if (r == null || r.isNull()) {
            return null;
        }
        String type = r.hasNonNull("rope_type") ? r.get("rope_type").asText() : r.path("type").asText("default");
        if ("default".equals(type)) {
            return null;
        }
        if (!"yarn".equals(type)) {
            throw new ConfigException(source + ": rope_scaling type '" + type + "' is not supported (yarn is)");
        }
        if (!r.hasNonNull("factor") || r.get("factor").asDouble() <= 0) {
            throw new ConfigException(source + ": rope_scaling.factor must be a positive number");
        }
        return new RopeScaling(type, r.get("factor").asDouble(),
                r.hasNonNull("original_max_position_embeddings") ? r.get("original_max_position_embeddings").asInt() : null,
                r.hasNonNull("attention_factor") ? r.get("attention_factor").asDouble() : null,
                r.hasNonNull("mscale") ? r.get("mscale").asDouble() : null,
                r.hasNonNull("mscale_all_dim") ? r.get("mscale_all_dim").asDouble() : null,
                r.hasNonNull("beta_fast") ? r.get("beta_fast").asDouble() : 32.0,
                r.hasNonNull("beta_slow") ? r.get("beta_slow").asDouble() : 1.0,
                !r.has("truncate") || r.get("truncate").asBoolean(true));
    }

    public boolean isMoe() {
        return MOE.equals(modelType);
    }

    /** transformers' rule: a layer is sparse unless listed in mlp_only_layers, and only every decoder_sparse_step-th. */
    public boolean isMoeLayer(int layer) {
        return isMoe() && numExperts > 0 && !mlpOnlyLayers.contains(layer)
                && decoderSparseStep > 0 && (layer + 1) % decoderSparseStep == 0;
    }

    public boolean isFp8() {
        return fp8BlockRows != null;
    }

    public int qDim() {
        return numAttentionHeads * headDim;
    }

    public int kvDim() {
        return numKeyValueHeads * headDim;
    }

    /** Typed access to config keys with errors that name the file and the key. */
    private record Keys(JsonNode c, String source) {
        int positiveInt(String key) {
            JsonNode n = c.get(key);
            if (n == null || n.isNull()) {
                throw new ConfigException(source + ": missing key '" + key + "'");
            }
            if (!n.canConvertToInt() || !n.isIntegralNumber() || n.asInt() <= 0) {
                throw new ConfigException(source + ": key '" + key + "' must be a positive integer, got " + n);
            }
            return n.asInt();
        }

        int intValue(String key, int fallback) {
            JsonNode n = c.get(key);
            if (n == null || n.isNull()) {
                return fallback;
            }
            if (!n.isIntegralNumber()) {
                throw new ConfigException(source + ": key '" + key + "' must be an integer, got " + n);
            }
            return n.asInt();
        }

        double number(String key, double fallback) {
            JsonNode n = c.get(key);
            if (n == null || n.isNull()) {
                return fallback;
            }
            if (!n.isNumber()) {
                throw new ConfigException(source + ": key '" + key + "' must be a number, got " + n);
            }
            return n.asDouble();
        }

        boolean bool(String key, boolean fallback) {
            JsonNode n = c.get(key);
            if (n == null || n.isNull()) {
                return fallback;
            }
            if (!n.isBoolean()) {
                throw new ConfigException(source + ": key '" + key + "' must be true or false, got " + n);
            }
            return n.asBoolean();
        }

        String string(String key, String fallback) {
            JsonNode n = c.get(key);
            return n == null || n.isNull() ? fallback : n.asText();
        }
    }
}

package io.moemesh.core.embedded;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.function.Consumer;

/**
 * The model the commands use when given none: a small Qwen3-MoE with the real Qwen3 tokenizer and vocabulary
 * (151,936 rows) and the real fan-out (128 experts, top-8), random weights made deterministically here. It is
 * written once, in the published layout, under {@code $MOEMESH_HOME} (default {@code ~/.cache/moe-mesh}); its text
 * is random, but every code path is the one a real checkpoint takes.
 */
public final class EmbeddedModel {
    /** Bump when the recipe changes, so old caches are not reused. */
    public static final String NAME = "embedded-qwen3-moe-v1";
    public static final long SEED = 20251123L;

    private EmbeddedModel() {
    }

    public static Path home() {
        String env = System.getenv("MOEMESH_HOME");
        String prop = System.getProperty("moemesh.home");
        String base = prop != null ? prop : env != null ? env : System.getProperty("user.home") + "/.cache/moe-mesh";
        return Path.of(base);
    }

    public static ObjectNode config() {
        ObjectNode c = new ObjectMapper().createObjectNode();
        c.putArray("architectures").add("Qwen3MoeForCausalLM");
        c.put("model_type", "qwen3_moe");
        c.put("attention_bias", false);
        c.put("attention_dropout", 0.0);
        c.put("bos_token_id", 151643);
        c.put("eos_token_id", 151645);
        c.put("decoder_sparse_step", 1);
        c.put("head_dim", 64);              // like the real models, heads × head_dim ≠ hidden_size
        c.put("hidden_act", "silu");
        c.put("hidden_size", 128);
        c.put("initializer_range", 0.02);
        c.put("intermediate_size", 256);
        c.put("max_position_embeddings", 40960);
        c.put("max_window_layers", 4);
        c.putArray("mlp_only_layers");
        c.put("moe_intermediate_size", 64);
        c.put("norm_topk_prob", true);
        c.put("num_attention_heads", 4);
        c.put("num_experts", 128);
        c.put("num_experts_per_tok", 8);
        c.put("num_hidden_layers", 4);
        c.put("num_key_value_heads", 2);
        c.put("output_router_logits", false);
        c.put("rms_norm_eps", 1e-6);
        c.putNull("rope_scaling");
        c.put("rope_theta", 1000000.0);
        c.put("router_aux_loss_coef", 0.001);
        c.putNull("sliding_window");
        c.put("tie_word_embeddings", false);
        c.put("torch_dtype", "bfloat16");
        c.put("transformers_version", "4.51.0");
        c.put("use_cache", true);
        c.put("use_sliding_window", false);
        c.put("vocab_size", 151936);
        return c;
    }

    /** The embedded model's directory, written on first use (a few seconds, ~100 MB). */
    public static Path ensure(Consumer<String> progress) {
        return SyntheticCheckpoint.ensure(home().resolve(NAME), new SyntheticCheckpoint.Spec(config(), SEED, 0.08, 2),
                "the embedded default model (random weights, real Qwen3 tokenizer)", progress, dir -> {
                    copyResource("tokenizer.json", dir);
                    copyResource("tokenizer_config.json", dir);
                });
    }

    private static void copyResource(String name, Path dir) throws IOException {
        try (InputStream in = EmbeddedModel.class.getResourceAsStream("/io/moemesh/core/tokenizer/qwen3/" + name)) {
            if (in == null) {
                throw new IOException("resource " + name + " is missing from the jar");
            }
            Files.copy(in, dir.resolve(name), StandardCopyOption.REPLACE_EXISTING);
        }
    }
}

package io.moemesh.core.embedded;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.nio.file.Path;
import java.util.function.Consumer;

/**
 * Synthetic models with the layer shapes of the published ones, for benchmarks: real hidden size, heads and expert
 * sizes, random weights, fewer layers (and optionally a smaller vocabulary, since the head is a fixed cost outside
 * the layers). Written once under {@link EmbeddedModel#home()}.
 */
public final class BenchModels {
    private BenchModels() {
    }

    /**
     * Qwen3-30B-A3B's layer: hidden 2048, 32 query / 4 KV heads of 128, 128 experts top-8 of width 768 (its
     * config.json, with {@code layers} layers and a vocabulary of {@code vocab}).
     */
    public static ObjectNode qwen3_30bA3b(int layers, int vocab) {
        ObjectNode c = EmbeddedModel.config();
        c.put("hidden_size", 2048);
        c.put("head_dim", 128);
        c.put("num_attention_heads", 32);
        c.put("num_key_value_heads", 4);
        c.put("intermediate_size", 6144);
        c.put("moe_intermediate_size", 768);
        c.put("num_experts", 128);
        c.put("num_experts_per_tok", 8);
        c.put("num_hidden_layers", layers);
        c.put("max_window_layers", layers);
        c.put("vocab_size", vocab);
        return c;
    }

    /** Name used in benchmark tables, e.g. {@code 30b-a3b-2layers}. */
    public static String qwen3_30bA3bName(int layers) {
        return "30b-a3b-" + layers + "layers";
    }

    /** The directory of the 30B-A3B-shaped model, written on first use (about 1.2 GB of weights per layer). */
    public static Path ensureQwen3_30bA3b(int layers, int vocab, Consumer<String> progress) {
        Path dir = EmbeddedModel.home().resolve("synthetic-30b-a3b-" + layers + "layers-vocab" + vocab);
        // One shard per layer (plus the head) keeps the writer's memory to one layer at a time.
        return SyntheticCheckpoint.ensure(dir, new SyntheticCheckpoint.Spec(qwen3_30bA3b(layers, vocab), 30_0003L, 0.02,
                layers + 1), "a synthetic " + qwen3_30bA3bName(layers) + " model (vocab " + vocab + ")", progress, d -> { });
    }
}

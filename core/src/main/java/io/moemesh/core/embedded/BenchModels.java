package io.moemesh.core.embedded;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * Synthetic models with the layer shapes of the published ones, for benchmarks: real hidden size, heads and expert
 * sizes, random weights, fewer layers (and optionally a smaller vocabulary, since the head is a fixed cost outside
 * the layers). Written once under {@link EmbeddedModel#home()}.
 */
public final class BenchModels {
    private BenchModels() {
    }

    /** The published MoE models whose layers the synthetic ones copy (their config.json's numbers). */
    public enum Shape {
        /** Qwen3-30B-A3B: hidden 2048, 32 query / 4 KV heads of 128, 128 experts top-8 of width 768; 1.3 GB a layer. */
        QWEN3_30B_A3B("30b-a3b", 2048, 32, 6144, 768, 30_0003L, 1, 8),
        /** Qwen3-235B-A22B: hidden 4096, 64 query / 4 KV heads of 128, 128 experts top-8 of width 1536; 5 GB a layer. */
        QWEN3_235B_A22B("235b-a22b", 4096, 64, 12288, 1536, 235_0022L, 8, 2);

        private final String key;
        private final int hidden, queryHeads, intermediate, expertWidth;
        private final long seed;
        /** Shards a layer is written in: the writer holds one shard in memory, so a few hundred MB to ~1.3 GB each. */
        private final int shardsPerLayer;
        /** Layers of the cut the llama.cpp figures were measured on. */
        private final int benchLayers;

        Shape(String key, int hidden, int queryHeads, int intermediate, int expertWidth, long seed,
              int shardsPerLayer, int benchLayers) {
            this.key = key;
            this.hidden = hidden;
            this.queryHeads = queryHeads;
            this.intermediate = intermediate;
            this.expertWidth = expertWidth;
            this.seed = seed;
            this.shardsPerLayer = shardsPerLayer;
            this.benchLayers = benchLayers;
        }

        /** Layers a benchmark cuts this model to by default: those of llama.cpp's figures for it (8 and 2). */
        public int benchLayers() {
            return benchLayers;
        }

        /** The name a user types, e.g. {@code 235b-a22b}. */
        public String key() {
            return key;
        }

        /** {@code key}, e.g. {@code 30b-a3b} or {@code 235b-a22b}; any other is an error that lists them. */
        public static Shape of(String key) {
            for (Shape s : values()) {
                if (s.key.equals(key.strip().toLowerCase(Locale.ROOT))) {
                    return s;
                }
            }
            throw new IllegalArgumentException("unknown model shape '" + key + "': expected one of "
                    + Arrays.stream(values()).map(Shape::key).collect(Collectors.joining(", ")));
        }

        /** The config.json, with {@code layers} layers and a vocabulary of {@code vocab}. */
        public ObjectNode config(int layers, int vocab) {
            ObjectNode c = EmbeddedModel.config();
            c.put("hidden_size", hidden);
            c.put("head_dim", 128);
            c.put("num_attention_heads", queryHeads);
            c.put("num_key_value_heads", 4);
            c.put("intermediate_size", intermediate);
            c.put("moe_intermediate_size", expertWidth);
            c.put("num_experts", 128);
            c.put("num_experts_per_tok", 8);
            c.put("num_hidden_layers", layers);
            c.put("max_window_layers", layers);
            c.put("vocab_size", vocab);
            return c;
        }

        /** Name used in benchmark tables, e.g. {@code 30b-a3b-2layers}. */
        public String name(int layers) {
            return key + "-" + layers + "layers";
        }

        /**
         * The same shape in a GGUF file typed as llama.cpp's Q4_K_M files are ({@link SyntheticGguf}: random K-quant
         * super-blocks), written on first use.
         */
        public Path ensureQ4KM(int layers, int vocab, Consumer<String> progress) {
            Path file = EmbeddedModel.home().resolve("synthetic-" + key + "-" + layers + "layers-vocab" + vocab + "-Q4_K_M.gguf");
            return SyntheticGguf.ensure(file, config(layers, vocab), seed, progress);
        }

        /** The directory of the model, written on first use. */
        public Path ensure(int layers, int vocab, Consumer<String> progress) {
            return ensure("", config(layers, vocab), layers, vocab, progress);
        }

        /**
         * The same shape as Qwen's -FP8 releases store it (e4m3 projections with a float scale per 128 × 128 block,
         * {@link SyntheticCheckpoint}), written on first use.
         */
        public Path ensureFp8(int layers, int vocab, Consumer<String> progress) {
            ObjectNode config = config(layers, vocab);
            ObjectNode quantization = config.putObject("quantization_config");
            quantization.put("quant_method", "fp8").put("fmt", "e4m3").put("activation_scheme", "dynamic");
            quantization.putArray("weight_block_size").add(128).add(128);
            return ensure("-fp8", config, layers, vocab, progress);
        }

        private Path ensure(String suffix, ObjectNode config, int layers, int vocab, Consumer<String> progress) {
            Path dir = EmbeddedModel.home().resolve("synthetic-" + key + "-" + layers + "layers-vocab" + vocab + suffix);
            // Shards by layer keep the writer's memory to part of a layer at a time.
            return SyntheticCheckpoint.ensure(dir, new SyntheticCheckpoint.Spec(config, seed, 0.02,
                    layers * shardsPerLayer + 1), "a synthetic " + name(layers) + suffix + " model (vocab " + vocab + ")",
                    progress, d -> { });
        }
    }
}

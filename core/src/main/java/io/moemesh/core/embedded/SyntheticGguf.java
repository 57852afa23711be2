package io.moemesh.core.embedded;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.moemesh.core.weights.CheckpointException;
import io.moemesh.core.weights.DType;
import io.moemesh.core.weights.gguf.GgufWriter;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * A synthetic Qwen3-MoE model in a GGUF file typed as llama.cpp's {@code Q4_K_M} files are, so that the published
 * GGUF checkpoints' speed can be measured without one: Q4_K for most matrices; Q6_K for the head, and for attn_v
 * and ffn_down in the layers llama.cpp gives more bits (its {@code use_more_bits}: the first and last eighth and every
 * third between); the router and the norms in F32. The K-quant tensors are random super-blocks (we have no K-quant
 * quantizer: GGUF files come quantized) with factors that give weights of about {@link #WEIGHT_SIZE}; the router is
 * N(0, 0.02²) and the norms are 1. Same seed, same bytes. No tokenizer: benchmarks feed token ids.
 */
public final class SyntheticGguf {
    /** About the size of a trained model's weights (|w| ≈ 0.02). */
    static final double WEIGHT_SIZE = 0.02;

    private SyntheticGguf() {
    }

    /** The file for {@code config} (a config.json), written on first use: to a temporary file, then moved into place. */
    public static Path ensure(Path file, ObjectNode config, long seed, Consumer<String> progress) {
        if (Files.isRegularFile(file)) {
            return file;
        }
        progress.accept("writing a synthetic Q4_K_M GGUF to " + file);
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp-" + ProcessHandle.current().pid());
        try {
            Files.createDirectories(file.getParent());
            writer(config, seed, progress).write(tmp);
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file);
            }
        } catch (IOException | UncheckedIOException e) {
            throw new CheckpointException(file + ": cannot write the synthetic GGUF: " + e.getMessage(), e);
        } finally {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // a leftover temporary file is only disk space
            }
        }
        progress.accept("synthetic GGUF ready at " + file);
        return file;
    }

    /** llama.cpp's use_more_bits: layers whose attn_v and ffn_down a Q4_K_M file stores in Q6_K. */
    static boolean moreBits(int layer, int layers) {
        return layer < layers / 8 || layer >= 7 * layers / 8 || (layer - layers / 8) % 3 == 2;
    }

    static GgufWriter writer(ObjectNode c, long seed, Consumer<String> progress) {
        int hidden = c.get("hidden_size").asInt(), layers = c.get("num_hidden_layers").asInt();
        int heads = c.get("num_attention_heads").asInt(), kvHeads = c.get("num_key_value_heads").asInt();
        int headDim = c.get("head_dim").asInt(), vocab = c.get("vocab_size").asInt();
        int experts = c.get("num_experts").asInt(), width = c.get("moe_intermediate_size").asInt();
        String k = "qwen3moe.";
        GgufWriter w = new GgufWriter()
                .string("general.architecture", "qwen3moe")
                .string("general.name", "synthetic")
                .u32("general.file_type", 15)   // llama.cpp's LLAMA_FTYPE_MOSTLY_Q4_K_M
                .u32(k + "block_count", layers)
                .u32(k + "context_length", c.get("max_position_embeddings").asInt())
                .u32(k + "embedding_length", hidden)
                .u32(k + "attention.head_count", heads)
                .u32(k + "attention.head_count_kv", kvHeads)
                .u32(k + "attention.key_length", headDim)
                .u32(k + "attention.value_length", headDim)
                .f32(k + "rope.freq_base", c.get("rope_theta").asDouble())
                .f32(k + "attention.layer_norm_rms_epsilon", c.get("rms_norm_eps").asDouble())
                .u32(k + "expert_count", experts)
                .u32(k + "expert_used_count", c.get("num_experts_per_tok").asInt())
                .u32(k + "expert_feed_forward_length", width);
        SplittableRandom seeds = new SplittableRandom(seed);
        int q = heads * headDim, kv = kvHeads * headDim;
        kQuant(w, "token_embd.weight", DType.Q4_K, new long[]{hidden, vocab}, seeds.nextLong(), progress);
        if (!c.path("tie_word_embeddings").asBoolean(false)) {
            kQuant(w, "output.weight", DType.Q6_K, new long[]{hidden, vocab}, seeds.nextLong(), progress);
        }
        ones(w, "output_norm.weight", hidden);
        for (int l = 0; l < layers; l++) {
            String b = "blk." + l + ".";
            DType more = moreBits(l, layers) ? DType.Q6_K : DType.Q4_K;
            ones(w, b + "attn_norm.weight", hidden);
            ones(w, b + "ffn_norm.weight", hidden);
            ones(w, b + "attn_q_norm.weight", headDim);
            ones(w, b + "attn_k_norm.weight", headDim);
            kQuant(w, b + "attn_q.weight", DType.Q4_K, new long[]{hidden, q}, seeds.nextLong(), progress);
            kQuant(w, b + "attn_k.weight", DType.Q4_K, new long[]{hidden, kv}, seeds.nextLong(), progress);
            kQuant(w, b + "attn_v.weight", more, new long[]{hidden, kv}, seeds.nextLong(), progress);
            kQuant(w, b + "attn_output.weight", DType.Q4_K, new long[]{q, hidden}, seeds.nextLong(), progress);
            long routerSeed = seeds.nextLong();
            w.tensor(b + "ffn_gate_inp.weight", DType.F32, new long[]{hidden, experts}, 4L * hidden * experts,
                    () -> GgufWriter.encode(DType.F32, gaussian(hidden * experts, routerSeed)));
            kQuant(w, b + "ffn_gate_exps.weight", DType.Q4_K, new long[]{hidden, width, experts}, seeds.nextLong(), progress);
            kQuant(w, b + "ffn_up_exps.weight", DType.Q4_K, new long[]{hidden, width, experts}, seeds.nextLong(), progress);
            kQuant(w, b + "ffn_down_exps.weight", more, new long[]{width, hidden, experts}, seeds.nextLong(), progress);
        }
        return w;
    }

    private static void ones(GgufWriter w, String name, int length) {
        float[] v = new float[length];
        Arrays.fill(v, 1f);
        w.tensor(name, DType.F32, new long[]{length}, GgufWriter.encode(DType.F32, v));
    }

    private static float[] gaussian(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (r.nextGaussian() * WEIGHT_SIZE);
        }
        return v;
    }

    private static void kQuant(GgufWriter w, String name, DType type, long[] dims, long seed, Consumer<String> progress) {
        long values = Arrays.stream(dims).reduce(1, Math::multiplyExact);
        long blocks = values / type.blockSize();
        w.tensor(name, type, dims, blocks * type.blockBytes(), () -> {
            progress.accept("  " + name + " (" + type + ", " + blocks * type.blockBytes() / (1 << 20) + " MB)");
            return randomKQuantBlocks(type, blocks, new SplittableRandom(seed), WEIGHT_SIZE);
        });
    }

    /**
     * {@code blocks} K-quant super-blocks of random bytes (levels and packed sub-block scales), with fp16 factors
     * that make weights of about {@code weightSize}: the super-block scale d (and dmin) divided by what a typical
     * level and sub-block scale multiply to (Q4_K: ~32 · 8, Q5_K: ~32 · 16, Q6_K: ~64 · 16), times 0.5–1.5.
     */
    public static byte[] randomKQuantBlocks(DType type, long blocks, SplittableRandom random, double weightSize) {
        int size = type.blockBytes();
        byte[] data = new byte[Math.toIntExact(blocks * size)];
        random.nextBytes(data);
        ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        double typical = switch (type) {
            case Q4_K -> 32 * 8;
            case Q5_K -> 32 * 16;
            case Q6_K -> 64 * 16;
            default -> throw new IllegalArgumentException(type + " is not a K-quant");
        };
        for (long i = 0; i < blocks; i++) {
            int at = Math.toIntExact(i * size);
            short factor = Float.floatToFloat16((float) (weightSize / typical * (0.5 + random.nextDouble())));
            if (type == DType.Q6_K) {
                b.putShort(at + 208, factor);
            } else {
                b.putShort(at, factor);       // d
                b.putShort(at + 2, factor);   // dmin
            }
        }
        return data;
    }
}

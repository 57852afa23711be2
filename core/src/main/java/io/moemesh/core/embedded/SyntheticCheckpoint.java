package io.moemesh.core.embedded;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.moemesh.core.config.Qwen3Config;
import io.moemesh.core.weights.Checkpoint;
import io.moemesh.core.weights.CheckpointException;
import io.moemesh.core.weights.SafetensorsWriter;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.stream.Stream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * Writes a checkpoint of any Qwen3 / Qwen3-MoE config with deterministic random bf16 weights, in the published
 * layout (config.json, shards, model.safetensors.index.json, per-expert tensor names). Same seed, same bytes.
 * A config with an fp8 {@code quantization_config} gets what Qwen's -FP8 releases hold: the projections
 * ({@code *_proj.weight}: attention's and the experts') in e4m3 with a scale per block, the rest bf16.
 * Weights are N(0, std²); norms 1 + N(0, 0.2²), as the reference fixtures were made, so routing and attention
 * are far from ties.
 */
public final class SyntheticCheckpoint {
    private SyntheticCheckpoint() {
    }

    public record Spec(ObjectNode config, long seed, double std, int shards) {
    }

    /** More files a model directory needs besides the weights (a tokenizer), written before it is published. */
    @FunctionalInterface
    public interface Extras {
        void writeInto(Path dir) throws IOException;
    }

    /**
     * The directory of a synthetic model, written on first use: into a temporary directory, then moved into place,
     * so a crash or a second process never leaves a half-written model that looks complete.
     */
    public static Path ensure(Path dir, Spec spec, String what, Consumer<String> progress, Extras extras) {
        if (Files.isRegularFile(dir.resolve("config.json"))) {
            return dir;
        }
        progress.accept("writing " + what + " to " + dir);
        Path tmp = dir.resolveSibling(dir.getFileName() + ".tmp-" + ProcessHandle.current().pid());
        try {
            deleteRecursively(tmp);
            write(tmp, spec, progress);
            extras.writeInto(tmp);
            try {
                Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, dir);
            }
        } catch (IOException e) {
            if (Files.isRegularFile(dir.resolve("config.json"))) {
                return dir;   // another process finished first
            }
            throw new CheckpointException(dir + ": cannot write " + what + ": " + e.getMessage(), e);
        } finally {
            deleteRecursively(tmp);
        }
        progress.accept(what + " ready at " + dir);
        return dir;
    }

    private static void deleteRecursively(Path p) {
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(p)) {
            walk.sorted(Comparator.reverseOrder()).forEach(f -> {
                try {
                    Files.delete(f);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException | UncheckedIOException e) {
            // best effort: a leftover temp directory is harmless
        }
    }

    public static void write(Path dir, Spec spec, Consumer<String> progress) {
        Qwen3Config c = Qwen3Config.parse(spec.config(), "synthetic config");
        SplittableRandom random = new SplittableRandom(spec.seed());
        List<Map.Entry<String, long[]>> tensors = tensorList(c);
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve("config.json"),
                    new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(spec.config()));
        } catch (IOException e) {
            throw new CheckpointException(dir + ": cannot write: " + e.getMessage(), e);
        }
        int shards = Math.max(1, spec.shards());
        int perShard = (tensors.size() + shards - 1) / shards;
        Map<String, String> weightMap = new TreeMap<>();
        long total = 0;
        for (int s = 0; s < shards; s++) {
            String file = shards == 1 ? Checkpoint.SINGLE : String.format("model-%05d-of-%05d.safetensors", s + 1, shards);
            SafetensorsWriter writer = new SafetensorsWriter(Map.of("format", "pt"));
            for (Map.Entry<String, long[]> t : tensors.subList(Math.min(s * perShard, tensors.size()),
                    Math.min((s + 1) * perShard, tensors.size()))) {
                long[] shape = t.getValue();
                int n = Math.toIntExact(shape.length == 1 ? shape[0] : shape[0] * shape[1]);
                float[] values = new float[n];
                boolean norm = t.getKey().endsWith("norm.weight");
                for (int i = 0; i < n; i++) {
                    values[i] = (float) (norm ? 1 + 0.2 * random.nextGaussian() : spec.std() * random.nextGaussian());
                }
                if (c.isFp8() && t.getKey().endsWith("_proj.weight")) {
                    writer.fp8(t.getKey(), values, (int) shape[0], (int) shape[1], c.fp8BlockRows(), c.fp8BlockCols());
                    weightMap.put(t.getKey() + "_scale_inv", file);
                } else {
                    writer.bf16(t.getKey(), values, shape);
                }
                weightMap.put(t.getKey(), file);
            }
            writer.write(dir.resolve(file));
            total += writer.dataBytes();
            progress.accept(String.format("wrote %s (%d/%d, %d MB so far)", file, s + 1, shards, total >> 20));
        }
        if (shards > 1) {
            ObjectMapper json = new ObjectMapper();
            ObjectNode index = json.createObjectNode();
            index.putObject("metadata").put("total_size", total);
            ObjectNode map = index.putObject("weight_map");
            weightMap.forEach(map::put);
            try {
                Files.writeString(dir.resolve(Checkpoint.INDEX), json.writerWithDefaultPrettyPrinter().writeValueAsString(index));
            } catch (IOException e) {
                throw new CheckpointException(dir + ": cannot write the index: " + e.getMessage(), e);
            }
        }
    }

    /** Every tensor the published layout has for this config, in sorted-name order like the reference writer. */
    static List<Map.Entry<String, long[]>> tensorList(Qwen3Config c) {
        Map<String, long[]> t = new TreeMap<>();
        long h = c.hiddenSize();
        t.put("model.embed_tokens.weight", new long[]{c.vocabSize(), h});
        if (!c.tieWordEmbeddings()) {
            t.put("lm_head.weight", new long[]{c.vocabSize(), h});
        }
        t.put("model.norm.weight", new long[]{h});
        for (int l = 0; l < c.numHiddenLayers(); l++) {
            String p = "model.layers." + l + ".";
            t.put(p + "input_layernorm.weight", new long[]{h});
            t.put(p + "post_attention_layernorm.weight", new long[]{h});
            t.put(p + "self_attn.q_proj.weight", new long[]{c.qDim(), h});
            t.put(p + "self_attn.k_proj.weight", new long[]{c.kvDim(), h});
            t.put(p + "self_attn.v_proj.weight", new long[]{c.kvDim(), h});
            t.put(p + "self_attn.o_proj.weight", new long[]{h, c.qDim()});
            t.put(p + "self_attn.q_norm.weight", new long[]{c.headDim()});
            t.put(p + "self_attn.k_norm.weight", new long[]{c.headDim()});
            if (c.isMoeLayer(l)) {
                t.put(p + "mlp.gate.weight", new long[]{c.numExperts(), h});
                for (int e = 0; e < c.numExperts(); e++) {
                    String ep = p + "mlp.experts." + e + ".";
                    t.put(ep + "gate_proj.weight", new long[]{c.moeIntermediateSize(), h});
                    t.put(ep + "up_proj.weight", new long[]{c.moeIntermediateSize(), h});
                    t.put(ep + "down_proj.weight", new long[]{h, c.moeIntermediateSize()});
                }
            } else {
                t.put(p + "mlp.gate_proj.weight", new long[]{c.intermediateSize(), h});
                t.put(p + "mlp.up_proj.weight", new long[]{c.intermediateSize(), h});
                t.put(p + "mlp.down_proj.weight", new long[]{h, c.intermediateSize()});
            }
        }
        return new ArrayList<>(t.entrySet());
    }
}

package io.moemesh.cli;

import io.moemesh.core.embedded.EmbeddedModel;
import io.moemesh.core.kernel.MatMul;
import io.moemesh.core.nn.Qwen3Model;
import io.moemesh.core.tensor.WeightPlan;
import io.moemesh.core.tokenizer.Tokenizer;
import io.moemesh.core.weights.Checkpoint;
import io.moemesh.core.weights.LoadMode;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** --model, --load and --weights, shared by the commands that run the model. */
final class ModelOptions {
    @Option(names = "--model", paramLabel = "DIR",
            description = "Checkpoint directory in the published layout (config.json + *.safetensors [+ index]), or a "
                    + "GGUF file (qwen3 / qwen3moe; a split model from any of its parts). "
                    + "Default: the embedded default model.")
    Path model;

    @Option(names = "--load", paramLabel = "MODE", defaultValue = "memory",
            description = "memory: read the tensors into off-heap memory (default; this VM drops cold file pages); "
                    + "mmap: map the files lazily.")
    String load;

    @Option(names = "--weights", paramLabel = "SPEC", defaultValue = "stored",
            description = "Weight format at load: stored (as in the checkpoint), bf16 (the same values laid out for the "
                    + "kernels: faster with several tokens), int8 (8.5 bits per weight), q4 (4.5 bits) or auto (each "
                    + "tensor in the fast layout that keeps its values: for GGUF files, Q4_K as q4 and Q5_K as int8 with "
                    + "a minimum per block, Q6_K as q6), for every role or per role, e.g. experts=q4,attention=int8,head=bf16. "
                    + "Quantizing costs accuracy (see the README) and buys speed on memory-bound decode.")
    String weights;

    WeightPlan weightPlan() {
        return WeightPlan.parse(weights);
    }

    Path modelDir() {
        return model != null ? model : embeddedModel();
    }

    /** The embedded default model's directory, written on first use (progress on stderr). */
    static Path embeddedModel() {
        return EmbeddedModel.ensure(msg -> System.err.println("[INFO] " + msg));
    }

    LoadMode loadMode() {
        return switch (load.toLowerCase(java.util.Locale.ROOT)) {
            case "memory" -> LoadMode.MEMORY;
            case "mmap" -> LoadMode.MMAP;
            default -> throw new IllegalArgumentException("--load must be memory or mmap, got '" + load + "'");
        };
    }

    record Loaded(Checkpoint checkpoint, Qwen3Model model) implements AutoCloseable {
        @Override
        public void close() {
            model.close();
            checkpoint.close();
        }
    }

    /** Opens the checkpoint, checks the prompt's ids against its vocabulary (before minutes of loading), loads. */
    Loaded open(int[] promptIds) {
        Checkpoint checkpoint = Checkpoint.open(modelDir(), loadMode(), weightPlan());
        try {
            checkIds(promptIds, checkpoint.config().vocabSize(), checkpoint.dir());
            return new Loaded(checkpoint, Qwen3Model.load(checkpoint, MatMul.vector()));
        } catch (RuntimeException e) {
            checkpoint.close();
            throw e;
        }
    }

    static void checkIds(int[] ids, int vocab, Path dir) {
        for (int id : ids) {
            if (id >= vocab) {
                throw new IllegalArgumentException("token id " + id + " is outside the vocabulary [0, " + vocab + ") of " + dir);
            }
        }
    }

    /** The model's own tokenizer, or Qwen3's when the directory has none (the reference fixtures have none). */
    static Tokenizer tokenizerFor(Path dir) {
        return dir == null ? Tokenizer.embeddedQwen3() : io.moemesh.core.chat.ModelText.tokenizer(dir);
    }
}

package io.moemesh.cli;

import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** What a gateway started by the command line serves: --model, --weights, --model-id and the batching limits. */
final class GatewayOptions {
    /** The model id the gateway itself defaults to, kept for the embedded default model. */
    static final String DEFAULT_MODEL_ID = "moe-mesh-default";

    @Option(names = "--model", paramLabel = "DIR",
            description = "Checkpoint directory in the published layout (config.json + *.safetensors [+ index]), or a "
                    + "GGUF file. Default: the embedded default model (written on first use).")
    Path model;

    @Option(names = "--weights", paramLabel = "SPEC", defaultValue = "stored",
            description = "Weight format at load: stored, bf16, int8, q4, q4a8 (q4 weights times inputs quantized to "
                    + "int8, as llama.cpp's Q4_0) or auto (per tensor, the fast layout that keeps its values: for a "
                    + "GGUF file's K-quants), for every role or per role, e.g. "
                    + "experts=q4,attention=int8 (default ${DEFAULT-VALUE}).")
    String weights;

    @Option(names = "--model-id", paramLabel = "ID",
            description = "The model name clients send and GET /v1/models lists. Default: the --model directory's name, "
                    + DEFAULT_MODEL_ID + " for the embedded model.")
    String modelId;

    @Option(names = "--max-batch", paramLabel = "N",
            description = "Sequences decoded together in one step (continuous batching; the gateway's default is 32).")
    Integer maxBatch;

    @Option(names = "--max-queue", paramLabel = "N",
            description = "Requests waiting for a place in the batch before new ones are refused with 429 (the gateway's "
                    + "default is 256).")
    Integer maxQueue;

    /** The model to serve: --model (checked here, so that a typo is one line rather than a Quarkus stack trace). */
    Path modelDir() {
        if (model == null) {
            return ModelOptions.embeddedModel().toAbsolutePath();
        }
        if (!Files.exists(model)) {
            throw new IllegalArgumentException("--model " + model + ": no such file or directory");
        }
        return model.toAbsolutePath();
    }

    String modelId(Path dir) {
        if (modelId != null) {
            return modelId;
        }
        if (model == null) {
            return DEFAULT_MODEL_ID;
        }
        String name = dir.normalize().getFileName().toString();
        return name.endsWith(".gguf") ? name.substring(0, name.length() - ".gguf".length()) : name;
    }

    /** The gateway's configuration (moemesh.gateway.*) for serving {@code dir}. */
    Map<String, String> config(Path dir) {
        if (maxBatch != null && maxBatch < 1) {
            throw new IllegalArgumentException("--max-batch must be at least 1, got " + maxBatch);
        }
        if (maxQueue != null && maxQueue < 0) {
            throw new IllegalArgumentException("--max-queue must not be negative, got " + maxQueue);
        }
        io.moemesh.core.tensor.WeightPlan.parse(weights);   // a bad spec fails here, in one line
        Map<String, String> config = new LinkedHashMap<>();
        config.put("moemesh.gateway.model-dir", dir.toString());
        config.put("moemesh.gateway.model-id", modelId(dir));
        config.put("moemesh.gateway.weights", weights);
        if (maxBatch != null) {
            config.put("moemesh.gateway.max-batch", maxBatch.toString());
        }
        if (maxQueue != null) {
            config.put("moemesh.gateway.max-queue", maxQueue.toString());
        }
        return config;
    }
}

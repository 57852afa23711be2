package io.moemesh.cli;

import io.moemesh.core.config.Qwen3Config;
import io.moemesh.core.nn.RecordingTrace;
import io.moemesh.core.weights.SafetensorsWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * One prefill over the given ids, written as float32 tensors named like the reference fixtures:
 * logits, hidden_states.i, and per MoE layer router_logits.L, topk_ids.L (int32), topk_weights.L.
 */
@Command(name = "forward", mixinStandardHelpOptions = true,
        description = "Run one forward pass and write logits, hidden states and routing to a .safetensors file.")
final class ForwardCommand implements Callable<Integer> {
    @Mixin
    ModelOptions modelOptions;

    @Option(names = "--input-ids", required = true, paramLabel = "IDS", converter = TokenIds.Converter.class,
            description = "Comma-separated token ids, e.g. 1,2,3")
    TokenIds inputIds;

    @Option(names = "--output", required = true, paramLabel = "FILE.safetensors", description = "Where to write the tensors.")
    Path output;

    @Override
    public Integer call() {
        int[] inputIds = this.inputIds.ids();
        try (ModelOptions.Loaded loaded = modelOptions.open(inputIds)) {
            Qwen3Config c = loaded.checkpoint().config();
            int t = inputIds.length;
            RecordingTrace trace = new RecordingTrace();
            float[] logits = loaded.model().forward(1, inputIds, true, trace);
            SafetensorsWriter out = new SafetensorsWriter(Map.of("format", "pt", "producer", "moe-mesh forward"));
            out.i32("input_ids", inputIds, t);
            out.f32("logits", logits, t, c.vocabSize());
            trace.hiddenStates().forEach((i, rows) -> out.f32("hidden_states." + i, rows, t, c.hiddenSize()));
            trace.routing().forEach((layer, r) -> {
                out.f32("router_logits." + layer, r.logits(), t, r.numExperts());
                out.i32("topk_ids." + layer, r.expertIds(), t, r.topK());
                out.f32("topk_weights." + layer, r.weights(), t, r.topK());
            });
            out.write(output);
            System.err.printf("[INFO] wrote %d tensors for %d tokens to %s%n", out.names().size(), t, output);
        }
        return 0;
    }
}

package io.moemesh.cli;

import io.moemesh.core.config.Qwen3Config;
import io.moemesh.core.nn.RecordingTrace;
import io.moemesh.core.nn.Routing;
import io.moemesh.proto.gateway.v1.ForwardResponse;
import io.moemesh.proto.gateway.v1.LayerRouting;
import io.moemesh.core.weights.SafetensorsWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
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

    @Mixin
    MeshOptions mesh;

    @Override
    public Integer call() {
        int[] inputIds = this.inputIds.ids();
        Qwen3Config c;
        float[] logits;
        Map<Integer, float[]> hiddenStates;
        Map<Integer, Routing> routing;
        if (mesh.enabled()) {
            Path dir = modelOptions.modelDir();
            c = Qwen3Config.load(dir.resolve("config.json"));
            ModelOptions.checkIds(inputIds, c.vocabSize(), dir);
            try (LocalMesh m = LocalMesh.start(dir,
                    LocalMesh.Layout.forCommand(mesh.expertServices, mesh.replicas(), modelOptions.weights));
                 GatewayClient gateway = new GatewayClient(m.gatewayEndpoint())) {
                ForwardResponse r = gateway.forward(inputIds);
                logits = GatewayClient.floats(r.getLogits());
                hiddenStates = new TreeMap<>();
                for (int i = 0; i < r.getHiddenStatesCount(); i++) {
                    hiddenStates.put(i, GatewayClient.floats(r.getHiddenStates(i)));
                }
                routing = new TreeMap<>();
                for (LayerRouting lr : r.getRoutingList()) {
                    float[] weights = new float[lr.getTopkWeightsCount()];
                    for (int i = 0; i < weights.length; i++) {
                        weights[i] = lr.getTopkWeights(i);
                    }
                    routing.put(lr.getLayer(), new Routing(inputIds.length, lr.getTopK(), c.numExperts(),
                            lr.getTopkIdsList().stream().mapToInt(Integer::intValue).toArray(), weights,
                            GatewayClient.floats(lr.getRouterLogits())));
                }
            }
        } else {
            try (ModelOptions.Loaded loaded = modelOptions.open(inputIds)) {
                c = loaded.checkpoint().config();
                RecordingTrace trace = new RecordingTrace();
                logits = loaded.model().forward(1, inputIds, true, trace);
                hiddenStates = trace.hiddenStates();
                routing = trace.routing();
            }
        }
        int t = inputIds.length;
        SafetensorsWriter out = new SafetensorsWriter(Map.of("format", "pt", "producer", "moe-mesh forward"));
        out.i32("input_ids", inputIds, t);
        out.f32("logits", logits, t, c.vocabSize());
        hiddenStates.forEach((i, rows) -> out.f32("hidden_states." + i, rows, t, c.hiddenSize()));
        routing.forEach((layer, r) -> {
            out.f32("router_logits." + layer, r.logits(), t, r.numExperts());
            out.i32("topk_ids." + layer, r.expertIds(), t, r.topK());
            out.f32("topk_weights." + layer, r.weights(), t, r.topK());
        });
        out.write(output);
        System.err.printf("[INFO] wrote %d tensors for %d tokens to %s%n", out.names().size(), t, output);
        return 0;
    }
}

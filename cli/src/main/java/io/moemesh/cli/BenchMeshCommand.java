package io.moemesh.cli;

import io.moemesh.core.config.Qwen3Config;
import io.moemesh.core.embedded.BenchModels;
import io.moemesh.core.embedded.EmbeddedModel;
import io.moemesh.core.engine.GeneratedToken;
import io.moemesh.core.engine.GenerationRequest;
import io.moemesh.core.engine.GenerationResult;
import io.moemesh.core.engine.Scheduler;
import io.moemesh.core.engine.TokenSink;
import io.moemesh.core.kernel.MatMul;
import io.moemesh.core.nn.Qwen3Model;
import io.moemesh.core.sampling.SamplingParams;
import io.moemesh.core.weights.Checkpoint;
import io.moemesh.core.weights.LoadMode;
import io.moemesh.proto.common.v1.ExpertWireStats;
import io.moemesh.proto.common.v1.HopStats;
import io.moemesh.proto.gateway.v1.MeshStatsResponse;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Embedded engine against the same model split over a mesh of real processes on loopback: decode tokens/s at each
 * batch size, the per-layer round trip to the router, and the bytes on the wire per token per layer next to the
 * least the routing needs (one hidden vector to each distinct expert host and one back).
 */
@Command(name = "mesh", mixinStandardHelpOptions = true,
        description = {"Decode speed embedded vs through a local mesh (N expert-service JVMs, router, gateway), at batch "
                        + "1 and 32 by default, on the embedded default model and on a synthetic model with Qwen3-30B-A3B's "
                        + "layer shape (hidden 2048, 32/4 heads of 128, 128 experts top-8 of width 768; --layers layers, "
                        + "vocabulary --vocab, random weights, written once under $MOEMESH_HOME).",
                "Reports per-layer router round trips (p50/p99) and bytes on the wire per token per layer."})
final class BenchMeshCommand implements java.util.concurrent.Callable<Integer> {
    @Option(names = "--models", split = ",", defaultValue = "embedded,30b-a3b", paramLabel = "M[,M...]",
            description = "Which models: embedded, 30b-a3b, or a checkpoint directory (default ${DEFAULT-VALUE}).")
    List<String> models;

    @Option(names = "--layers", defaultValue = "2", paramLabel = "L", description = "Layers of the 30B-A3B-shaped model (default ${DEFAULT-VALUE}).")
    int layers;

    @Option(names = "--vocab", defaultValue = "32768", paramLabel = "V",
            description = "Vocabulary of the 30B-A3B-shaped model (default ${DEFAULT-VALUE}; the real one is 151936: the "
                    + "head is a fixed cost on the gateway either way).")
    int vocab;

    @Option(names = "--batches", split = ",", defaultValue = "1,32", paramLabel = "B[,B...]", description = "Concurrent sequences (default ${DEFAULT-VALUE}).")
    List<Integer> batches;

    @Option(names = "--prompt-tokens", defaultValue = "16", paramLabel = "N") int promptTokens;

    @Option(names = "--new-tokens", defaultValue = "32", paramLabel = "N") int newTokens;

    @Option(names = "--warmup-tokens", defaultValue = "64", paramLabel = "N",
            description = "Tokens generated (at the same batch) before measuring, so that every JVM of the mesh has "
                    + "compiled its hot paths (default ${DEFAULT-VALUE}).")
    int warmupTokens;

    @Option(names = "--expert-services", defaultValue = "3", paramLabel = "N") int expertServices;

    @Option(names = "--replicas", defaultValue = "2", paramLabel = "R", description = "Copies of each expert (default ${DEFAULT-VALUE}).")
    int replicas;

    @Option(names = "--remote-attention", description = "Attention on an attention-service instead of in the gateway.")
    boolean remoteAttention;

    @Option(names = "--json", description = "One JSON object per line instead of the table.")
    boolean json;

    private record Row(String model, int batch, double embeddedTps, double meshTps, HopStats router, HopStats attention,
                       ExpertWireStats experts, double meanBatch) {
    }

    @Override
    public Integer call() throws Exception {
        List<Row> rows = new ArrayList<>();
        for (String m : models) {
            Path dir = switch (m) {
                case "embedded" -> EmbeddedModel.ensure(BenchMeshCommand::progress);
                case "30b-a3b" -> BenchModels.Shape.QWEN3_30B_A3B.ensure(layers, vocab, BenchMeshCommand::progress);
                default -> Path.of(m);
            };
            String name = switch (m) {
                case "embedded" -> "embedded";
                case "30b-a3b" -> BenchModels.Shape.QWEN3_30B_A3B.name(layers);
                default -> dir.getFileName().toString();
            };
            Qwen3Config config = Qwen3Config.load(dir.resolve("config.json"));
            Map<Integer, Double> embedded = new LinkedHashMap<>();
            try (Checkpoint ck = Checkpoint.open(dir, LoadMode.MEMORY); Qwen3Model model = Qwen3Model.load(ck, MatMul.vector())) {
                for (int batch : batches) {
                    try (Scheduler scheduler = new Scheduler(model, new Scheduler.Options(batch, 256, batch))) {
                        runEmbedded(scheduler, config, batch, warmupTokens);
                        embedded.put(batch, runEmbedded(scheduler, config, batch, newTokens));
                    }
                    progress(String.format("%s embedded batch %d: %.1f tokens/s", name, batch, embedded.get(batch)));
                }
            }
            try (LocalMesh mesh = LocalMesh.start(dir,
                    new LocalMesh.Layout(expertServices, replicas, 0, remoteAttention, "stored"));
                 GatewayClient gateway = new GatewayClient(mesh.gatewayEndpoint())) {
                for (int batch : batches) {
                    runMesh(gateway, config, batch, warmupTokens);
                    MeshStatsResponse before = gateway.meshStats(true);
                    double tps = runMesh(gateway, config, batch, newTokens);
                    MeshStatsResponse after = gateway.meshStats(true);
                    long steps = after.getSteps() - before.getSteps();
                    double meanBatch = steps == 0 ? 0 : (after.getStepSequences() - before.getStepSequences()) / (double) steps;
                    rows.add(new Row(name, batch, embedded.get(batch), tps, after.getRouter(), after.getAttention(),
                            minus(after.getExperts(), before.getExperts()), meanBatch));
                    progress(String.format("%s mesh batch %d: %.1f tokens/s", name, batch, tps));
                }
            }
        }
        print(rows);
        return 0;
    }

    private int[] prompt(Qwen3Config config, int sequence) {
        SplittableRandom r = new SplittableRandom(1000 + sequence);
        int[] p = new int[promptTokens];
        for (int i = 0; i < p.length; i++) {
            p[i] = r.nextInt(Math.min(config.vocabSize(), 150_000));
        }
        return p;
    }

    /** {@code batch} greedy generations at once through the in-process scheduler. */
    private double runEmbedded(Scheduler scheduler, Qwen3Config config, int batch, int tokens) throws Exception {
        DecodeClock clock = new DecodeClock(batch, tokens);
        List<CompletableFuture<GenerationResult>> done = new ArrayList<>();
        for (int s = 0; s < batch; s++) {
            int sequence = s;
            CompletableFuture<GenerationResult> f = new CompletableFuture<>();
            done.add(f);
            scheduler.submit(new GenerationRequest(prompt(config, s), tokens, SamplingParams.GREEDY, Set.of()), new TokenSink() {
                @Override
                public boolean onToken(GeneratedToken generated) {
                    clock.token(sequence);
                    return true;
                }

                @Override
                public void onFinish(GenerationResult result) {
                    f.complete(result);
                }

                @Override
                public void onError(RuntimeException error) {
                    f.completeExceptionally(error);
                }
            });
        }
        for (CompletableFuture<GenerationResult> f : done) {
            f.get(30, TimeUnit.MINUTES);
        }
        return clock.decodeTokensPerSecond();
    }

    /** {@code batch} clients at once, each streaming one greedy generation from the gateway. */
    private double runMesh(GatewayClient gateway, Qwen3Config config, int batch, int tokens) throws Exception {
        DecodeClock clock = new DecodeClock(batch, tokens);
        ExecutorService clients = Executors.newFixedThreadPool(batch);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int s = 0; s < batch; s++) {
                int sequence = s;
                done.add(clients.submit(() -> gateway.generate(prompt(config, sequence), tokens, SamplingParams.GREEDY,
                        true, token -> {
                            clock.token(sequence);
                            return true;
                        })));
            }
            for (Future<?> f : done) {
                f.get(30, TimeUnit.MINUTES);
            }
        } finally {
            clients.shutdownNow();
        }
        return clock.decodeTokensPerSecond();
    }

    private static ExpertWireStats minus(ExpertWireStats a, ExpertWireStats b) {
        return ExpertWireStats.newBuilder()
                .setLayerBatches(a.getLayerBatches() - b.getLayerBatches()).setTokenRows(a.getTokenRows() - b.getTokenRows())
                .setHostRows(a.getHostRows() - b.getHostRows()).setBytesSent(a.getBytesSent() - b.getBytesSent())
                .setBytesReceived(a.getBytesReceived() - b.getBytesReceived())
                .setMinimumBytes(a.getMinimumBytes() - b.getMinimumBytes()).build();
    }

    private static double perRow(long bytes, long rows) {
        return rows == 0 ? 0 : bytes / (double) rows;
    }

    private void print(List<Row> rows) {
        if (!json) {
            System.out.printf("%-18s %5s %10s %10s %7s %9s %9s %10s %10s %10s %8s %6s%n", "model", "batch", "embed t/s",
                    "mesh t/s", "mesh/emb", "rtt p50ms", "rtt p99ms", "gw<>rt B", "rt<>exp B", "minimum B", "x min", "hosts");
        }
        for (Row r : rows) {
            ExpertWireStats e = r.experts();
            double gatewayRouter = perRow(r.router().getBytesSent() + r.router().getBytesReceived(), r.router().getRows());
            double routerExperts = perRow(e.getBytesSent() + e.getBytesReceived(), e.getTokenRows());
            double minimum = perRow(e.getMinimumBytes(), e.getTokenRows());
            double hosts = perRow(e.getHostRows(), e.getTokenRows());
            double ratio = minimum == 0 ? 0 : (gatewayRouter + routerExperts) / minimum;
            if (json) {
                Map<String, Object> j = new LinkedHashMap<>();
                j.put("bench", "mesh");
                j.put("model", r.model());
                j.put("batch", r.batch());
                j.put("embedded_decode_tps", round(r.embeddedTps()));
                j.put("mesh_decode_tps", round(r.meshTps()));
                j.put("mesh_over_embedded", round(r.meshTps() / r.embeddedTps()));
                j.put("mean_step_batch", round(r.meanBatch()));
                j.put("router_rtt_p50_ms", round(r.router().getP50Micros() / 1e3));
                j.put("router_rtt_p99_ms", round(r.router().getP99Micros() / 1e3));
                if (remoteAttention) {
                    j.put("attention_rtt_p50_ms", round(r.attention().getP50Micros() / 1e3));
                    j.put("attention_rtt_p99_ms", round(r.attention().getP99Micros() / 1e3));
                }
                j.put("gateway_router_bytes_per_token_layer", round(gatewayRouter));
                j.put("router_experts_bytes_per_token_layer", round(routerExperts));
                j.put("minimum_bytes_per_token_layer", round(minimum));
                j.put("hosts_per_token_layer", round(hosts));
                j.put("wire_over_minimum", round(ratio));
                System.out.println(Json.line(j));
            } else {
                System.out.printf("%-18s %5d %10.1f %10.1f %7.2f %9.2f %9.2f %10.0f %10.0f %10.0f %8.2f %6.2f%n", r.model(),
                        r.batch(), r.embeddedTps(), r.meshTps(), r.meshTps() / r.embeddedTps(), r.router().getP50Micros() / 1e3,
                        r.router().getP99Micros() / 1e3, gatewayRouter, routerExperts, minimum, ratio, hosts);
            }
        }
        if (!json) {
            System.out.println();
            System.out.println("t/s: decode tokens/s over all sequences (greedy, " + newTokens + " new tokens after a "
                    + promptTokens + "-token prompt). rtt: one layer's gateway -> router -> experts -> gateway round trip.");
            System.out.println("B: bytes per token per layer (protobuf payload, both directions); minimum: one hidden vector"
                    + " to each distinct expert host and one back; x min: (gw<>rt + rt<>exp) / minimum; hosts: distinct"
                    + " expert hosts per token per layer. " + expertServices + " expert-services, " + replicas
                    + " replicas of each expert, f32 wire, attention " + (remoteAttention ? "on an attention-service." : "in the gateway."));
        }
    }

    private static double round(double v) {
        return Math.round(v * 100) / 100.0;
    }

    private static void progress(String message) {
        System.err.println("[INFO] " + message);
    }
}

package io.moemesh.cli;

import io.moemesh.core.config.Qwen3Config;
import io.moemesh.core.embedded.EmbeddedModel;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A mesh on loopback: N expert-services (each expert on `replicas` of them), an attention-service, a router and
 * a gateway, each its own JVM running the packaged service. Closing it stops them all (last started first).
 */
final class LocalMesh implements AutoCloseable {
    private final List<MeshProcess> processes = new ArrayList<>();
    private final List<String> hosted;
    private final Path logs;
    private MeshProcess gateway;

    private LocalMesh(List<String> hosted, Path logs) {
        this.hosted = hosted;
        this.logs = logs;
    }

    /**
     * How to lay the mesh out.
     *
     * @param gatewayPort     0 for any free port
     * @param remoteAttention run attention on an attention-service; false keeps it in the gateway (its default)
     * @param weights         the --weights spec every service loads with
     */
    record Layout(int expertServices, int replicas, int gatewayPort, boolean remoteAttention, String weights) {
        /** What `--mesh N` runs: attention apart too, so that every role crosses the network. */
        static Layout forCommand(int expertServices, int replicas, String weights) {
            return new Layout(expertServices, replicas, 0, true, weights);
        }
    }

    /** Starts everything and returns once the gateway is ready; progress goes to stderr. */
    static LocalMesh start(Path model, Layout layout) {
        int expertServices = layout.expertServices(), replicas = layout.replicas();
        Qwen3Config c = Qwen3Config.load(model.resolve("config.json"));
        List<String> hosted = c.isMoe()
                ? ExpertPlacement.spread(c.numHiddenLayers(), c.numExperts(), expertServices, replicas) : List.of();
        Path root = Path.of(System.getProperty("moemesh.root", ".")).toAbsolutePath();
        LocalMesh mesh = new LocalMesh(hosted, EmbeddedModel.home().resolve("local-mesh").resolve("logs"));
        Thread stopper = new Thread(mesh::close, "local-mesh-stop");
        Runtime.getRuntime().addShutdownHook(stopper);
        try {
            mesh.launch(root, model.toAbsolutePath().toString(), layout);
        } catch (RuntimeException e) {
            mesh.close();
            throw e;
        }
        return mesh;
    }

    private void launch(Path root, String model, Layout layout) {
        String weights = layout.weights();
        List<MeshProcess> experts = new ArrayList<>();
        for (int i = 0; i < hosted.size(); i++) {
            experts.add(add(MeshProcess.start(root, "expert-service", "expert-" + i, 0,
                    Map.of("moemesh.expert.model-dir", model, "moemesh.expert.hosted", hosted.get(i),
                            "moemesh.expert.weights", weights), logs)));
        }
        MeshProcess attention = layout.remoteAttention() ? add(MeshProcess.start(root, "attention-service", "attention", 0,
                Map.of("moemesh.attention.model-dir", model, "moemesh.attention.weights", weights), logs)) : null;
        for (MeshProcess p : List.copyOf(processes)) {   // the JVMs start in parallel; wait for all
            ready(p);
        }
        MeshProcess router = add(MeshProcess.start(root, "router-service", "router", 0, Map.of(
                "moemesh.router.model-dir", model,
                "moemesh.router.expert-endpoints", String.join(",", experts.stream().map(MeshProcess::endpoint).toList())), logs));
        ready(router);
        Map<String, String> gatewayConfig = new java.util.HashMap<>(Map.of(
                "moemesh.gateway.model-dir", model,
                "moemesh.gateway.router-endpoint", router.endpoint(),
                "moemesh.gateway.weights", weights));
        if (attention != null) {
            gatewayConfig.put("moemesh.gateway.attention-endpoint", attention.endpoint());
        }
        gateway = add(MeshProcess.start(root, "gateway", "gateway", layout.gatewayPort(), gatewayConfig, logs));
        ready(gateway);
        for (int i = 0; i < hosted.size(); i++) {
            System.err.printf("[INFO] expert-%d hosts %s%n", i, hosted.get(i));
        }
    }

    private MeshProcess add(MeshProcess p) {
        synchronized (processes) {
            processes.add(p);
        }
        return p;
    }

    private static void ready(MeshProcess p) {
        p.awaitReady(Duration.ofMinutes(10));
        System.err.printf("[INFO] %-10s ready on %s%n", p.name(), p.endpoint());
    }

    String gatewayEndpoint() {
        return gateway.endpoint();
    }

    Path logs() {
        return logs;
    }

    /** Services that have exited, for the supervisor loop. */
    List<MeshProcess> processes() {
        synchronized (processes) {
            return List.copyOf(processes);
        }
    }

    @Override
    public void close() {
        List<MeshProcess> all;
        synchronized (processes) {
            all = new ArrayList<>(processes);
            processes.clear();
        }
        for (MeshProcess p : all.reversed()) {
            p.close();
        }
    }
}

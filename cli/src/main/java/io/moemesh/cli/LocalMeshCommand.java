package io.moemesh.cli;

import io.moemesh.core.config.Qwen3Config;
import io.moemesh.core.embedded.EmbeddedModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** The whole mesh on this machine: N expert-services, a router, an attention-service and a gateway. */
@Command(name = "local-mesh", mixinStandardHelpOptions = true,
        description = {"Start a mesh on loopback: N expert-service JVMs (each expert on --replicas of them), a",
                "router-service, an attention-service and a gateway on --port. Ctrl-C stops them all.",
                "Logs go to $MOEMESH_HOME/local-mesh/logs."})
final class LocalMeshCommand implements Callable<Integer> {
    @Mixin
    ModelOptions modelOptions;

    @Option(names = "--expert-services", defaultValue = "3", paramLabel = "N", description = "Expert-service JVMs (default ${DEFAULT-VALUE}).")
    int expertServices;

    @Option(names = "--replicas", defaultValue = "2", paramLabel = "R", description = "Copies of each expert (default ${DEFAULT-VALUE}).")
    int replicas;

    @Option(names = "--port", defaultValue = "8080", paramLabel = "PORT", description = "The gateway's HTTP + gRPC port (default ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--root", paramLabel = "DIR", hidden = true, description = "Repository root holding the built services.")
    Path root;

    @Override
    public Integer call() throws Exception {
        Path model = modelOptions.modelDir().toAbsolutePath();
        Qwen3Config c = Qwen3Config.load(model.resolve("config.json"));
        if (!c.isMoe()) {
            throw new IllegalArgumentException(model + " is a dense model: a mesh needs MoE experts to spread");
        }
        List<String> hosted = ExpertPlacement.spread(c.numHiddenLayers(), c.numExperts(), expertServices, replicas);
        Path repo = root != null ? root : Path.of(System.getProperty("moemesh.root", ".")).toAbsolutePath();
        Path logs = EmbeddedModel.home().resolve("local-mesh").resolve("logs");
        List<MeshProcess> all = new ArrayList<>();
        Thread stopper = new Thread(() -> stopAll(all), "local-mesh-stop");
        Runtime.getRuntime().addShutdownHook(stopper);
        try {
            List<MeshProcess> experts = new ArrayList<>();
            for (int i = 0; i < expertServices; i++) {
                experts.add(MeshProcess.start(repo, "expert-service", "expert-" + i, 0,
                        Map.of("moemesh.expert.model-dir", model.toString(), "moemesh.expert.hosted", hosted.get(i)), logs));
            }
            all.addAll(experts);
            MeshProcess attention = MeshProcess.start(repo, "attention-service", "attention", 0,
                    Map.of("moemesh.attention.model-dir", model.toString()), logs);
            all.add(attention);
            for (MeshProcess p : all) {
                p.awaitReady(Duration.ofMinutes(10));
                System.err.printf("[INFO] %-10s ready on %s%n", p.name(), p.endpoint());
            }
            MeshProcess router = MeshProcess.start(repo, "router-service", "router", 0, Map.of(
                    "moemesh.router.model-dir", model.toString(),
                    "moemesh.router.expert-endpoints", String.join(",", experts.stream().map(MeshProcess::endpoint).toList())), logs);
            all.add(router);
            router.awaitReady(Duration.ofMinutes(5));
            System.err.printf("[INFO] %-10s ready on %s%n", router.name(), router.endpoint());
            MeshProcess gateway = MeshProcess.start(repo, "gateway", "gateway", port, Map.of(
                    "moemesh.gateway.model-dir", model.toString(),
                    "moemesh.gateway.attention-endpoint", attention.endpoint(),
                    "moemesh.gateway.router-endpoint", router.endpoint()), logs);
            all.add(gateway);
            gateway.awaitReady(Duration.ofMinutes(5));
            for (int i = 0; i < expertServices; i++) {
                System.err.printf("[INFO] expert-%d hosts %s%n", i, hosted.get(i));
            }
            System.out.printf("mesh ready: gateway on http://%s (gRPC on the same port); logs in %s; Ctrl-C stops it%n",
                    gateway.endpoint(), logs);
            System.out.flush();
            // Supervise: report any service that dies; the rest keep serving (the router fails over).
            List<String> reported = new ArrayList<>();
            while (true) {
                for (MeshProcess p : all) {
                    if (!p.isAlive() && !reported.contains(p.name())) {
                        reported.add(p.name());
                        System.err.printf("[WARN] %s exited; its log ends:%n%s%n", p.name(), p.tail());
                    }
                }
                Thread.sleep(1000);
            }
        } finally {
            stopAll(all);
        }
    }

    private static synchronized void stopAll(List<MeshProcess> processes) {
        for (MeshProcess p : processes.reversed()) {
            p.close();
        }
    }
}

package io.moemesh.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** The whole mesh on this machine until Ctrl-C. */
@Command(name = "local-mesh", mixinStandardHelpOptions = true,
        description = {"Start a mesh on loopback: N expert-service JVMs (each expert on --replicas of them), a "
                        + "router-service, an attention-service and a gateway on --port. Ctrl-C stops them all. "
                        + "Logs go to $MOEMESH_HOME/local-mesh/logs."})
final class LocalMeshCommand implements Callable<Integer> {
    @Mixin
    ModelOptions modelOptions;

    @Option(names = "--expert-services", defaultValue = "3", paramLabel = "N", description = "Expert-service JVMs (default ${DEFAULT-VALUE}).")
    int expertServices;

    @Option(names = "--replicas", defaultValue = "2", paramLabel = "R", description = "Copies of each expert (default ${DEFAULT-VALUE}).")
    int replicas;

    @Option(names = "--port", defaultValue = "8080", paramLabel = "PORT", description = "The gateway's HTTP + gRPC port (default ${DEFAULT-VALUE}).")
    int port;

    @Override
    public Integer call() throws Exception {
        try (LocalMesh mesh = LocalMesh.start(modelOptions.modelDir(),
                new LocalMesh.Layout(expertServices, replicas, port, true, modelOptions.weights))) {
            System.out.printf("mesh ready: gateway on http://%s (gRPC on the same port); logs in %s; Ctrl-C stops it%n",
                    mesh.gatewayEndpoint(), mesh.logs());
            System.out.flush();
            // Supervise: report a service that dies; the rest keep serving (the router fails over).
            List<String> reported = new ArrayList<>();
            while (true) {
                for (MeshProcess p : mesh.processes()) {
                    if (!p.isAlive() && !reported.contains(p.name())) {
                        reported.add(p.name());
                        System.err.printf("[WARN] %s exited; its log ends:%n%s%n", p.name(), p.tail());
                    }
                }
                Thread.sleep(1000);
            }
        }
    }
}

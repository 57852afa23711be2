package io.moemesh.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The main job: the gateway (OpenAI-compatible HTTP API and gRPC) in the foreground. It runs the packaged Quarkus
 * gateway as a child JVM with this terminal's output, so its own log (loading, requests) is what the user sees;
 * this process adds the one line that says it is ready and where, and stops the child when it is stopped.
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Serve a model: the gateway's OpenAI-compatible API (/v1/chat/completions, "
                        + "/v1/completions, /v1/models) and its gRPC API, on the embedded default model "
                        + "unless --model names one. Every role runs in the gateway's JVM (local-mesh "
                        + "splits them). Prints 'ready: ...' once it answers; Ctrl-C stops it. "
                        + "MOEMESH_JAVA_OPTS is passed on to the gateway's JVM (e.g. -Xmx4g)."})
final class ServeCommand implements Callable<Integer> {
    /** How long a stopped gateway gets to finish before it is killed. */
    private static final int STOP_GRACE_SECONDS = 30;

    @Mixin
    GatewayOptions gateway;

    @Option(names = "--host", defaultValue = "0.0.0.0", paramLabel = "HOST",
            description = "Address to listen on (default ${DEFAULT-VALUE}: every interface; 127.0.0.1 keeps it on this machine).")
    String host;

    @Option(names = "--port", defaultValue = "8080", paramLabel = "PORT", description = "HTTP port (default ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--grpc-port", paramLabel = "PORT",
            description = "gRPC port. Default: gRPC on the HTTP port (one port for REST, gRPC, health and metrics); a "
                    + "different port starts a separate gRPC server.")
    Integer grpcPort;

    @Option(names = "--api-key", paramLabel = "KEY",
            description = "Require 'Authorization: Bearer KEY' on every /v1 call (401 otherwise), as vLLM's --api-key. "
                    + "Default: $MOEMESH_API_KEY if set (which, unlike the flag, stays out of the process list).")
    String apiKey;

    @Override
    public Integer call() throws Exception {
        checkPort("--port", port);
        int grpc = grpcPort != null ? grpcPort : port;
        checkPort("--grpc-port", grpc);
        String key = apiKey(apiKey, System.getenv("MOEMESH_API_KEY"));
        Path dir = gateway.modelDir();
        Map<String, String> config = new LinkedHashMap<>(gateway.config(dir));
        if (grpc != port) {
            separateGrpcServer(config, host, grpc);
        }
        Map<String, String> env = new LinkedHashMap<>();
        if (key != null) {
            // The environment, not -D: a command line is readable by every user of the machine (ps, /proc).
            env.put("MOEMESH_GATEWAY_API_KEY", key);
        }
        Path root = Path.of(System.getProperty("moemesh.root", ".")).toAbsolutePath();
        System.err.printf("[INFO] starting the gateway on %s:%d: %s%s%n", host, port, dir,
                key != null ? "; /v1 calls need 'Authorization: Bearer <key>'" : "");
        MeshProcess child = MeshProcess.startInherited(root, "gateway", "gateway", host, port, jvmOptions(), config, env);
        // Ctrl-C reaches the child too (same process group); SIGTERM to this process alone must stop it as well.
        AtomicBoolean stopping = new AtomicBoolean();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stopping.set(true);
            child.close(STOP_GRACE_SECONDS);
        }, "serve-stop"));
        // No time limit: a large checkpoint takes minutes to load, and the gateway logs its progress meanwhile.
        if (child.waitReady(Duration.ofDays(365))) {
            System.out.println(readyLine(host, port, config.get("moemesh.gateway.model-id"), grpc));
            System.out.flush();
        }
        int code = child.waitFor();
        // 130 and 143: stopped by Ctrl-C or SIGTERM, which the terminal sends to the child too; not a failure.
        if (code != 0 && code != 130 && code != 143 && !stopping.get()) {
            System.err.println("error: the gateway exited with code " + code + " (its log is above)");
        }
        return code;
    }

    static String readyLine(String host, int port, String modelId, int grpcPort) {
        String h = host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
        return "ready: http://" + h + ":" + port + "/v1 (model " + modelId + "), gRPC on " + h + ":" + grpcPort;
    }

    /** The flag wins over the environment; an empty key would let anyone in, so it is refused. */
    static String apiKey(String flag, String env) {
        if (flag != null) {
            if (flag.isBlank()) {
                throw new IllegalArgumentException("--api-key must not be empty");
            }
            return flag;
        }
        return env == null || env.isBlank() ? null : env;
    }

    /**
     * gRPC on its own port: Quarkus' separate (Netty) gRPC server instead of the Vert.x one on the HTTP port. The
     * packaged gateway accepts the switch at run time; the recorder's notice that this is the "legacy" server is
     * silenced, since here it is asked for.
     */
    static void separateGrpcServer(Map<String, String> config, String host, int grpcPort) {
        config.put("quarkus.grpc.server.use-separate-server", "true");
        config.put("quarkus.grpc.server.host", host);
        config.put("quarkus.grpc.server.port", Integer.toString(grpcPort));
        config.put("quarkus.log.category.\"io.quarkus.grpc.runtime.GrpcServerRecorder\".level", "ERROR");
    }

    /** JVM options of the gateway: the cli's own flags, and MOEMESH_JAVA_OPTS (heap, threads) passed on. */
    static List<String> jvmOptions() {
        List<String> options = new ArrayList<>(List.of("--sun-misc-unsafe-memory-access=allow"));
        String extra = System.getenv("MOEMESH_JAVA_OPTS");
        if (extra != null && !extra.isBlank()) {
            options.addAll(Arrays.asList(extra.strip().split("\\s+")));
        }
        return options;
    }

    private static void checkPort(String option, int port) {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException(option + " must be a port number from 1 to 65535, got " + port);
        }
    }
}

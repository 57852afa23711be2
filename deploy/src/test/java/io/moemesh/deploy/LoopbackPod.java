package io.moemesh.deploy;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One pod of a rendered Deployment, run on this machine the way its container would run: the module's packaged app
 * started by its Dockerfile's ENTRYPOINT (with /deployments being the module's target/quarkus-app), the Dockerfile's
 * ENV, then the container's env from the chart, and nothing from this JVM's environment. A pod gets its own loopback
 * address (127.77.0.N) as a pod gets its own IP, so every pod binds the containerPort the chart gives it.
 *
 * <p>What the cluster would provide is supplied by the caller as rewrites of env values: the model volume's mount
 * path becomes a local directory, Service names become the loopback address of the pod behind them.
 */
final class LoopbackPod implements AutoCloseable {
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    final String name;
    final String module;
    final JsonNode container;
    final String ip;
    /** containerPort -> the port bound here: the same unless another process holds it on every address. */
    final Map<Integer, Integer> ports;
    final Map<String, String> env;
    final Path log;
    private final Process process;

    private LoopbackPod(String name, String module, JsonNode container, String ip, Map<Integer, Integer> ports,
                        Map<String, String> env, Path log, Process process) {
        this.name = name;
        this.module = module;
        this.container = container;
        this.ip = ip;
        this.ports = ports;
        this.env = env;
        this.log = log;
        this.process = process;
    }

    /** The module whose image a container runs: "moe-mesh-<module>:tag", as each Dockerfile documents. */
    static String module(JsonNode container) {
        String image = container.path("image").asText();
        String repository = image.substring(image.lastIndexOf('/') + 1, image.lastIndexOf(':'));
        if (!repository.startsWith("moe-mesh-")) {
            throw new AssertionError("image " + image + " is not one of this repository's modules");
        }
        return repository.substring("moe-mesh-".length());
    }

    /**
     * Starts the pod. {@code containerEnv} is the container's env with values resolved (secrets looked up) and
     * rewritten by the caller; {@code ports} maps each containerPort to the port to bind here.
     */
    static LoopbackPod start(JsonNode deployment, String ip, Map<Integer, Integer> ports, Map<String, String> containerEnv, Path logDir) {
        JsonNode container = Rendered.container(deployment);
        String module = module(container);
        Dockerfile docker = Dockerfile.of(module);
        Path app = Repo.quarkusApp(module);
        if (!Files.isRegularFile(app.resolve("quarkus-run.jar"))) {
            throw new IllegalStateException(app + " is not packaged: build with ./mvnw package -pl deploy -am");
        }
        Map<String, String> env = new LinkedHashMap<>();
        // What the base image provides (a JDK on PATH, a HOME), then the image's ENV, then the container's env.
        env.put("PATH", Path.of(System.getProperty("java.home"), "bin") + ":/usr/bin:/bin");
        env.put("HOME", logDir.toString());
        env.putAll(docker.env());
        env.putAll(containerEnv);
        // The pod's own address: bind it instead of the container's 0.0.0.0.
        env.put("QUARKUS_HTTP_HOST", ip);
        env.put("QUARKUS_GRPC_SERVER_HOST", ip);

        List<String> command = new ArrayList<>();
        for (String arg : docker.entrypoint()) {
            command.add(arg.replace(docker.workdir(), app.toString()));
        }
        String name = Rendered.name(deployment);
        Path log;
        try {
            log = Files.createDirectories(logDir).resolve(name + ".log");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ProcessBuilder pb = new ProcessBuilder(command).directory(app.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().clear();
        pb.environment().putAll(env);
        try {
            return new LoopbackPod(name, module, container, ip, Map.copyOf(ports), Map.copyOf(env), log, pb.start());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + name + ": " + command, e);
        }
    }

    /** The port to bind for a containerPort on {@code ip}: itself when free there, else any free one. */
    static int bindable(String ip, int port) {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress(InetAddress.getByName(ip), port));
            return port;
        } catch (IOException taken) {
            try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(ip))) {
                return s.getLocalPort();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** Where a container port (named or numbered, as probes and Services give it) is reached here. */
    String address(JsonNode portRef) {
        int containerPort = Rendered.containerPort(container, portRef);
        return ip + ":" + ports.getOrDefault(containerPort, containerPort);
    }

    /** GET of a probe's httpGet (path and port as rendered); -1 when nothing answers. */
    HttpResponse<String> probe(String probe) {
        JsonNode get = container.path(probe).path("httpGet");
        if (get.isMissingNode()) {
            throw new AssertionError(name + " has no httpGet " + probe);
        }
        return get(get.path("port"), get.path("path").asText());
    }

    HttpResponse<String> get(JsonNode port, String path) {
        return send(HttpRequest.newBuilder(URI.create("http://" + address(port) + path)).timeout(Duration.ofSeconds(10)).build());
    }

    static HttpResponse<String> send(HttpRequest request) {
        try {
            return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Waits until the readiness probe answers 200, as the kubelet would before sending traffic. */
    void awaitReady(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new AssertionError(name + " exited with code " + process.exitValue() + "; its log ends:\n" + tail());
            }
            HttpResponse<String> r = probe("readinessProbe");
            if (r != null && r.statusCode() == 200) {
                return;
            }
            sleep(250);
        }
        throw new AssertionError(name + " not ready within " + timeout.toSeconds() + " s; its log ends:\n" + tail());
    }

    boolean isAlive() {
        return process.isAlive();
    }

    String tail() {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (IOException e) {
            return "(no log at " + log + ")";
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** SIGTERM, as the kubelet sends after preStop; killed after 15 s. */
    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(15, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}

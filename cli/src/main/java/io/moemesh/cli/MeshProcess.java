package io.moemesh.cli;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** One service of a local mesh: the packaged Quarkus app of a module, as its own JVM on loopback. */
final class MeshProcess implements AutoCloseable {
    /** Every port {@link #freePort} has given out, so that it never gives one twice. */
    private static final Set<Integer> HANDED_OUT = ConcurrentHashMap.newKeySet();

    private final String name;
    private final Process process;
    private final String host;
    private final int port;
    private final Path log;   // null when the output goes to this process's own stdout/stderr

    private MeshProcess(String name, Process process, String host, int port, Path log) {
        this.name = name;
        this.process = process;
        // A wildcard bind is reached on loopback.
        this.host = host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]") ? "127.0.0.1" : host;
        this.port = port;
        this.log = log;
    }

    static Path jar(Path root, String module) {
        return root.resolve(module).resolve("target/quarkus-app/quarkus-run.jar");
    }

    /** Starts the module's app with the given config on {@code port} (0 = any free one); returns at once. */
    static MeshProcess start(Path root, String module, String name, int port, Map<String, String> config, Path logDir) {
        return start(root, module, name, "127.0.0.1", port, List.of(), config, logDir);
    }

    /** As above, bound to {@code host} (any loopback address 127.x.y.z works without set-up on Linux). */
    static MeshProcess start(Path root, String module, String name, String host, int port, List<String> jvmOptions,
                             Map<String, String> config, Path logDir) {
        int chosen = port > 0 ? port : freePort();
        // -Xmx1g: a mesh runs several of these JVMs on one machine, and weights live off the heap anyway.
        List<String> options = new ArrayList<>(List.of("-Xmx1g"));
        options.addAll(jvmOptions);
        List<String> cmd = command(root, module, host, chosen, options, config);
        try {
            Files.createDirectories(logDir);
            Path log = logDir.resolve(name + ".log");
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            return new MeshProcess(name, p, host, chosen, log);
        } catch (IOException e) {
            throw new IllegalStateException("cannot start " + name + ": " + e.getMessage(), e);
        }
    }

    /**
     * Starts the module's app bound to {@code host}:{@code port}, its output on this process's stdout/stderr (what
     * `serve` runs in the foreground). {@code env} is added to the child's environment (secrets go there rather than
     * on the command line, which every local user can read in ps).
     */
    static MeshProcess startInherited(Path root, String module, String name, String host, int port, List<String> jvmOptions,
                                      Map<String, String> config, Map<String, String> env) {
        ProcessBuilder pb = new ProcessBuilder(command(root, module, host, port, jvmOptions, config)).inheritIO();
        pb.environment().putAll(env);
        try {
            return new MeshProcess(name, pb.start(), host, port, null);
        } catch (IOException e) {
            throw new IllegalStateException("cannot start " + name + ": " + e.getMessage(), e);
        }
    }

    private static List<String> command(Path root, String module, String host, int port, List<String> jvmOptions,
                                        Map<String, String> config) {
        Path jar = jar(root, module);
        if (!Files.isRegularFile(jar)) {
            throw new IllegalArgumentException(jar + " is missing: build the services first (./mvnw -DskipTests package)");
        }
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"));
        cmd.addAll(jvmOptions);
        cmd.addAll(List.of("-Dquarkus.http.port=" + port, "-Dquarkus.http.host=" + host));
        config.forEach((k, v) -> cmd.add("-D" + k + "=" + v));
        cmd.addAll(List.of("-jar", jar.toString()));
        return cmd;
    }

    /** Waits for /q/health/ready; fails with the end of the service's log if it dies or times out. */
    MeshProcess awaitReady(Duration timeout) {
        if (!waitReady(timeout)) {
            if (!process.isAlive()) {
                throw new IllegalStateException(name + " exited with code " + process.exitValue() + "; its log ends:\n" + tail());
            }
            throw new IllegalStateException(name + " was not ready within " + timeout.toSeconds() + " s; its log ends:\n" + tail());
        }
        return this;
    }

    /** Polls /q/health/ready until it answers 200 (true), the process exits or the time is up (false). */
    boolean waitReady(Duration timeout) {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        URI ready = URI.create("http://" + endpoint() + "/q/health/ready");
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline && process.isAlive()) {
            try {
                var response = http.send(HttpRequest.newBuilder(ready).timeout(Duration.ofSeconds(2)).build(),
                        HttpResponse.BodyHandlers.discarding());
                if (response.statusCode() == 200) {
                    return true;
                }
            } catch (IOException e) {
                // not listening yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for " + name);
            }
            sleep(200);
        }
        return false;
    }

    String tail() {
        if (log == null) {
            return "(its output went to this terminal)";
        }
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 15), lines.size()));
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

    /**
     * A port free now and never handed out by this JVM before. The OS may give a port just closed here to the next
     * bind(0), and a mesh's processes bind theirs only once started: expert-2 and the attention service were both
     * given 41555 in one CI run (MeshCommandsIT), and the second failed to start.
     */
    static int freePort() {
        for (int attempt = 0; attempt < 1000; attempt++) {
            try (ServerSocket s = new ServerSocket(0)) {
                if (HANDED_OUT.add(s.getLocalPort())) {
                    return s.getLocalPort();
                }
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
        throw new IllegalStateException("no free port left that this process has not handed out already");
    }

    String name() {
        return name;
    }

    String endpoint() {
        return (host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host) + ":" + port;
    }

    Path log() {
        return log;
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** Waits for the process to end and returns its exit code. */
    int waitFor() throws InterruptedException {
        return process.waitFor();
    }

    @Override
    public void close() {
        close(10);
    }

    /** SIGKILL, as when a machine dies: no goodbye on its connections. */
    void kill() {
        try {
            process.destroyForcibly().waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Asks the process to stop (SIGTERM), and kills it after {@code graceSeconds}. */
    void close(int graceSeconds) {
        process.destroy();
        try {
            if (!process.waitFor(graceSeconds, java.util.concurrent.TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}

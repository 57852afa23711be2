package io.moemesh.router;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Real expert-service JVMs on loopback, started from the packaged expert-service
 * (expert-service/target/quarkus-app/quarkus-run.jar, built before this module).
 *
 * <p>State (port, hosted spec, pid) lives in system properties, not fields: Quarkus loads test resources and test
 * classes through different class loaders, and both must see the same processes.
 */
final class ExpertFleet {
    /** tiny-qwen3-moe (4 layers, 16 experts): every expert on exactly 2 of the 3 replicas. */
    static final List<String> SPECS = List.of("0-3:0-10", "0-3:0-5;0-3:11-15", "0-3:6-15");

    private static final String PREFIX = "moemesh.test.fleet.";

    private ExpertFleet() {
    }

    static int size() {
        return Integer.parseInt(System.getProperty(PREFIX + "size", "0"));
    }

    static int port(int replica) {
        return Integer.parseInt(System.getProperty(PREFIX + replica + ".port"));
    }

    static String endpoints() {
        List<String> list = new ArrayList<>();
        for (int i = 0; i < size(); i++) {
            list.add("127.0.0.1:" + port(i));
        }
        return String.join(",", list);
    }

    /** Starts every replica in parallel and waits until all are ready. */
    static void startAll(Path modelDir) {
        System.setProperty(PREFIX + "model-dir", modelDir.toString());
        System.setProperty(PREFIX + "size", Integer.toString(SPECS.size()));
        Runtime.getRuntime().addShutdownHook(new Thread(ExpertFleet::stopAll, "expert-fleet-cleanup"));
        for (int i = 0; i < SPECS.size(); i++) {
            System.setProperty(PREFIX + i + ".port", Integer.toString(freePort()));
            System.setProperty(PREFIX + i + ".spec", SPECS.get(i));
            launch(i);
        }
        for (int i = 0; i < SPECS.size(); i++) {
            awaitReady(i);
        }
    }

    /** SIGKILL, as when a machine dies: no graceful goodbye on the connections. */
    static void kill(int replica) {
        String pid = System.getProperty(PREFIX + replica + ".pid");
        if (pid == null) {
            return;
        }
        ProcessHandle.of(Long.parseLong(pid)).ifPresent(p -> {
            p.destroyForcibly();
            p.onExit().orTimeout(10, TimeUnit.SECONDS).join();
        });
        System.clearProperty(PREFIX + replica + ".pid");
    }

    static boolean running(int replica) {
        String pid = System.getProperty(PREFIX + replica + ".pid");
        return pid != null && ProcessHandle.of(Long.parseLong(pid)).map(ProcessHandle::isAlive).orElse(false);
    }

    /** Starts a killed replica again on its old port and waits until it is ready. */
    static void restart(int replica) {
        if (!running(replica)) {
            launch(replica);
            awaitReady(replica);
        }
    }

    static void stopAll() {
        for (int i = 0; i < size(); i++) {
            kill(i);
        }
    }

    private static void launch(int replica) {
        Path jar = expertJar();
        String java = ProcessHandle.current().info().command().orElse("java");
        Path log = Path.of("target", "expert-" + replica + ".log");
        try {
            Files.createDirectories(log.getParent());
            Process p = new ProcessBuilder(java, "--add-modules=jdk.incubator.vector", "-Xmx512m", "-XX:+UseSerialGC",
                    "-Dquarkus.http.port=" + port(replica),
                    "-Dquarkus.http.host=127.0.0.1",
                    "-Dmoemesh.expert.model-dir=" + System.getProperty(PREFIX + "model-dir"),
                    "-Dmoemesh.expert.hosted=" + System.getProperty(PREFIX + replica + ".spec"),
                    "-jar", jar.toString())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .start();
            System.setProperty(PREFIX + replica + ".pid", Long.toString(p.pid()));
        } catch (IOException e) {
            throw new IllegalStateException("cannot start expert-service replica " + replica + ": " + e.getMessage(), e);
        }
    }

    private static void awaitReady(int replica) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        URI ready = URI.create("http://127.0.0.1:" + port(replica) + "/q/health/ready");
        while (System.nanoTime() < deadline) {
            if (!running(replica)) {
                throw new IllegalStateException("expert-service replica " + replica + " exited during start-up; see "
                        + Path.of("target", "expert-" + replica + ".log").toAbsolutePath());
            }
            try {
                HttpURLConnection c = (HttpURLConnection) ready.toURL().openConnection();
                c.setConnectTimeout(500);
                c.setReadTimeout(2000);
                if (c.getResponseCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // still starting
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        throw new IllegalStateException("expert-service replica " + replica + " on port " + port(replica)
                + " not ready after 60 s");
    }

    private static Path expertJar() {
        for (String candidate : List.of("../expert-service/target/quarkus-app/quarkus-run.jar",
                "expert-service/target/quarkus-app/quarkus-run.jar")) {
            Path p = Path.of(candidate).toAbsolutePath().normalize();
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        throw new IllegalStateException("expert-service/target/quarkus-app/quarkus-run.jar not found from "
                + Path.of("").toAbsolutePath() + ": package expert-service first (it precedes router-service in the build)");
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException("no free port: " + e.getMessage(), e);
        }
    }
}

package io.moemesh.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.moemesh.core.PrometheusText;
import io.moemesh.core.ReferenceFixture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Expert-service replicas join and leave a running mesh while it generates, and no request fails.
 *
 * <p>Every process is real: two expert groups (a: experts 0–7, b: experts 8–15 of every layer), a router that
 * finds them by DNS name, and a gateway serving the API. The names resolve through the JDK's hosts-file resolver
 * ({@code -Djdk.net.hosts.file}), a file this test rewrites, standing in for a headless Service's records as the
 * HPA adds and removes pods; every replica listens on the same port at its own loopback address, as pods do at
 * their own IPs. The router runs the production lookup path ({@code InetAddress}), with the JVM option the chart
 * gives it (a short DNS cache).
 */
class ExpertDiscoveryIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Logs and the hosts file stay in target/ for a look after a failure. */
    private final Path dir = Path.of("target", "expert-discovery-it").toAbsolutePath();

    private final List<MeshProcess> processes = new ArrayList<>();
    private final Map<String, List<String>> hosts = new LinkedHashMap<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private Path root;
    private Path model;
    private Path hostsFile;
    private int expertPort;

    @AfterEach
    void stopAll() {
        for (MeshProcess p : processes.reversed()) {
            p.close(5);
        }
    }

    @Test
    void replicasJoinAndLeaveDuringGenerationWithoutAFailedRequest() throws Exception {
        Files.createDirectories(dir);
        root = Path.of("").toAbsolutePath().getParent();
        model = ReferenceFixture.modelDir("tiny-qwen3-moe");
        hostsFile = dir.resolve("hosts");
        expertPort = MeshProcess.freePort();

        MeshProcess a1 = expert("a1", "127.0.0.2", "0-3:0-7", "a");
        MeshProcess b1 = expert("b1", "127.0.0.4", "0-3:8-15", "b");
        hosts.put("experts-a.test", new ArrayList<>(List.of("127.0.0.2")));
        hosts.put("experts-b.test", new ArrayList<>(List.of("127.0.0.4")));
        writeHosts();
        a1.awaitReady(Duration.ofMinutes(2));
        b1.awaitReady(Duration.ofMinutes(2));
        MeshProcess router = start(MeshProcess.start(root, "router-service", "router", "127.0.0.1", 0,
                List.of("-Djdk.net.hosts.file=" + hostsFile, "-Dsun.net.inetaddr.ttl=1"), Map.of(
                        "moemesh.router.model-dir", model.toString(),
                        "moemesh.router.expert-groups", "a=experts-a.test:" + expertPort + ",b=experts-b.test:" + expertPort,
                        "moemesh.router.placement-refresh-millis", "300"), dir));
        router.awaitReady(Duration.ofMinutes(2));
        MeshProcess gateway = start(MeshProcess.start(root, "gateway", "gateway", "127.0.0.1", 0, List.of(), Map.of(
                "moemesh.gateway.model-dir", model.toString(),
                "moemesh.gateway.router-endpoint", router.endpoint()), dir));
        gateway.awaitReady(Duration.ofMinutes(2));
        assertEquals(1, metric(router, "moemesh_router_group_replicas", "group=\"a\""));

        // Load: one long generation spanning every change, and short requests back to back on two more streams.
        AtomicBoolean churning = new AtomicBoolean(true);
        ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        AtomicInteger shortDone = new AtomicInteger();
        CompletableFuture<JsonNode> longRun = CompletableFuture.supplyAsync(() -> complete(gateway, 700, failures));
        List<CompletableFuture<Void>> loops = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            loops.add(CompletableFuture.runAsync(() -> {
                while (churning.get()) {
                    if (complete(gateway, 24, failures) != null) {
                        shortDone.incrementAndGet();
                    }
                }
            }));
        }
        await("traffic reaches both groups", () -> metric(router, "moemesh_router_group_tokens_total", "group=\"a\"") > 0
                && metric(router, "moemesh_router_group_tokens_total", "group=\"b\"") > 0);

        // Scale-up of group a: a pod becomes ready, then appears in the Service's records.
        MeshProcess a2 = expert("a2", "127.0.0.3", "0-3:0-7", "a").awaitReady(Duration.ofMinutes(2));
        hosts.get("experts-a.test").add("127.0.0.3");
        writeHosts();
        await("the router sees a2", () -> metric(router, "moemesh_router_group_replicas", "group=\"a\"") == 2);
        await("a2 computes tokens", () -> metric(a2, "moemesh_expert_tokens_total") > 0);

        // Scale-down of group a: the pod leaves the records, then gets SIGTERM (as Kubernetes does).
        hosts.get("experts-a.test").remove("127.0.0.2");
        writeHosts();
        await("the router drops a1", () -> metric(router, "moemesh_router_group_replicas", "group=\"a\"") == 1);
        double a1Final = metric(a1, "moemesh_expert_tokens_total");
        a1.close(30);
        double a2Before = metric(a2, "moemesh_expert_tokens_total");
        await("a2 carries group a alone", () -> metric(a2, "moemesh_expert_tokens_total") > a2Before + 100);

        // Group b: a second replica joins, then the first dies without warning (SIGKILL) before its record goes.
        MeshProcess b2 = expert("b2", "127.0.0.5", "0-3:8-15", "b").awaitReady(Duration.ofMinutes(2));
        hosts.get("experts-b.test").add("127.0.0.5");
        writeHosts();
        await("b2 computes tokens", () -> metric(b2, "moemesh_expert_tokens_total") > 0);
        b1.kill();
        int doneAtKill = shortDone.get();
        await("requests keep completing after b1 died", () -> shortDone.get() >= doneAtKill + 4);
        hosts.get("experts-b.test").remove("127.0.0.4");
        writeHosts();
        await("the router drops b1", () -> metric(router, "moemesh_router_group_replicas", "group=\"b\"") == 1);

        churning.set(false);
        CompletableFuture.allOf(loops.toArray(CompletableFuture[]::new)).get();
        JsonNode longAnswer = longRun.get();
        assertEquals(List.of(), List.copyOf(failures), "no request failed while replicas came and went");
        assertNotNull(longAnswer, "the long generation finished");
        assertEquals(700, longAnswer.at("/usage/completion_tokens").asInt(), longAnswer::toString);
        assertEquals("length", longAnswer.at("/choices/0/finish_reason").asText());
        assertTrue(a1Final > 0, "a1 computed before it left");

        // What the router counted per (layer, expert) adds up to what the groups answered for: a part lost with b1
        // was re-sent and counted once, where it was computed.
        JsonNode load = JSON.readTree(get(router, "/expert-load"));
        long routed = 0;
        for (JsonNode layer : load.get("tokens")) {
            for (JsonNode e : layer) {
                routed += e.asLong();
            }
        }
        assertEquals(4, load.get("layers").asInt());
        assertEquals(16, load.get("experts").asInt());
        double groups = metric(router, "moemesh_router_group_tokens_total");
        assertEquals(routed, groups, 1e-9, "every routed row was computed by exactly one replica");
        // The planner reads that export as it comes: a plan for two groups over the load this run produced.
        Path loadFile = dir.resolve("load.json");
        Files.writeString(loadFile, load.toString());
        CliProcess plan = CliProcess.run(dir, "plan", "--load", loadFile.toString(), "--groups", "2", "--max-replicas", "2");
        assertEquals(0, plan.exitCode(), plan.stderr());
        assertTrue(plan.stdout().contains("expertGroups:") && plan.stdout().contains("hosted:"), plan.stdout());

        double ttftCount = metric(gateway, "moemesh_gateway_time_to_first_token_seconds_count");
        assertEquals(shortDone.get() + 1, ttftCount, "one first token per request");
        assertTrue(metric(gateway, "moemesh_gateway_layer_hop_seconds_count", "role=\"router\"", "layer=\"3\"") > 0,
                "per-layer hop latency is exported");
    }

    private MeshProcess expert(String name, String ip, String hosted, String group) {
        return start(MeshProcess.start(root, "expert-service", name, ip, expertPort, List.of(), Map.of(
                "moemesh.expert.model-dir", model.toString(),
                "moemesh.expert.hosted", hosted,
                "moemesh.expert.group", group), dir));
    }

    private MeshProcess start(MeshProcess p) {
        processes.add(p);
        return p;
    }

    /** Rewrites the hosts file in one move, so the router never reads half of it. */
    private void writeHosts() throws IOException {
        StringBuilder text = new StringBuilder();
        hosts.forEach((name, ips) -> ips.forEach(ip -> text.append(ip).append(' ').append(name).append('\n')));
        Path tmp = dir.resolve("hosts.tmp");
        Files.writeString(tmp, text);
        Files.move(tmp, hostsFile, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    /** A greedy completion of {@code tokens} tokens from a fixed prompt; null (and the reason noted) if it failed. */
    private JsonNode complete(MeshProcess gateway, int tokens, ConcurrentLinkedQueue<String> failures) {
        String body = "{\"model\":\"moe-mesh-default\",\"prompt\":[11,42,300,7],\"max_tokens\":" + tokens
                + ",\"temperature\":0,\"ignore_eos\":true}";
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://" + gateway.endpoint()
                            + "/v1/completions")).header("Content-Type", "application/json")
                    .timeout(Duration.ofMinutes(5)).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                failures.add(r.statusCode() + " " + r.body());
                return null;
            }
            JsonNode answer = JSON.readTree(r.body());
            if (answer.at("/usage/completion_tokens").asInt() != tokens) {
                failures.add("short answer: " + r.body());
                return null;
            }
            return answer;
        } catch (IOException | InterruptedException e) {
            failures.add(e.toString());
            return null;
        }
    }

    private String get(MeshProcess p, String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create("http://" + p.endpoint() + path))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    /** The sum of a Prometheus series over the samples that have all of {@code labels}. */
    private double metric(MeshProcess p, String name, String... labels) {
        try {
            return PrometheusText.sum(get(p, "/q/metrics"), name, labels);
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException(p.name() + " /q/metrics: " + e, e);
        }
    }

    private void await(String what, BooleanSupplier condition) throws InterruptedException {
        long start = System.nanoTime();
        long deadline = start + Duration.ofSeconds(90).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out waiting until " + what + "; logs in " + dir);
            }
            Thread.sleep(100);
        }
        System.err.printf("%s: after %d ms%n", what, (System.nanoTime() - start) / 1_000_000);
    }
}

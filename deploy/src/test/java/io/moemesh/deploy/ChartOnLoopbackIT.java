package io.moemesh.deploy;

import io.moemesh.core.placement.HostedRange;
import io.moemesh.core.placement.LayerExpert;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.moemesh.core.ReferenceFixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The chart's Deployments, run on loopback: every rendered pod is started from its module's packaged app with its
 * Dockerfile's ENTRYPOINT and ENV and the container's env and JVM options as rendered, on the containerPort, and must
 * then answer its startup, readiness and liveness probes with 200, grpc.health.v1 on its gRPC port, and, as a mesh,
 * a completion. The demo values with the attention-service on cover every Deployment template.
 *
 * <p>What a cluster would provide is substituted, nothing else: the model volume is a directory holding the
 * tiny-qwen3-moe reference checkpoint under the chart's model.path, each expert group's hosted spec is scaled from
 * the demo's model (4 layers x 128 experts) to the fixture's (4 x 16), and Service names resolve to the loopback
 * address of the pod behind them.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ChartOnLoopbackIT {
    static final String FIXTURE = "tiny-qwen3-moe";
    static final Duration READY_TIMEOUT = Duration.ofSeconds(150);
    static final String MESH_OVERRIDES = "attention: {enabled: true}";
    /** A second gateway: gRPC on its own port and an API key from the chart's Secret. */
    static final String GATEWAY_VARIANT = MESH_OVERRIDES + "\ngateway: {grpc: {separatePort: true, port: 9000}, apiKey: {value: it-key}}";

    Path work;
    Rendered chart;
    ObjectNode values;
    Path volume;
    final Map<String, LoopbackPod> pods = new LinkedHashMap<>();
    int nextAddress = 10;
    /** Whether this router-service takes MOEMESH_ROUTER_EXPERT_GROUPS (else only its static endpoint list). */
    boolean routerKnowsGroups;

    @BeforeAll
    void startTheMesh() throws IOException {
        work = Files.createDirectories(Path.of(System.getProperty("basedir", "."), "target", "chart-on-loopback"));
        Path overrides = HelmChart.write(work, MESH_OVERRIDES);
        chart = HelmChart.template(Repo.DEMO_VALUES, overrides);
        values = HelmChart.values(Repo.DEMO_VALUES, overrides);
        routerKnowsGroups = routerKnowsGroups();

        // The model volume: the fixture where the chart's model.path says the checkpoint is.
        volume = Files.createTempDirectory(work, "volume-");
        Path checkpoint = volume.resolve(values.at("/model/path").asText());
        Files.createDirectories(checkpoint.getParent());
        Files.createSymbolicLink(checkpoint, ReferenceFixture.modelDir(FIXTURE));

        // Addresses first, so that every pod can be told where the Services it calls are.
        Map<String, String> addresses = new LinkedHashMap<>();
        for (ObjectNode d : chart.ofKind("Deployment")) {
            addresses.put(Rendered.name(d), "127.77.0." + nextAddress++);
        }
        Map<String, Map<Integer, Integer>> ports = new LinkedHashMap<>();
        for (ObjectNode d : chart.ofKind("Deployment")) {
            ports.put(Rendered.name(d), ports(Rendered.container(d), addresses.get(Rendered.name(d))));
        }
        Map<String, String> services = serviceAddresses(chart, addresses, ports);
        long start = System.nanoTime();
        for (ObjectNode d : chart.ofKind("Deployment")) {
            String name = Rendered.name(d);
            pods.put(name, LoopbackPod.start(d, addresses.get(name), ports.get(name), env(chart, d, services, ports.get(name)), work));
        }
        for (LoopbackPod pod : pods.values()) {
            pod.awaitReady(READY_TIMEOUT);
        }
        System.out.printf("%d pods ready in %.1f s (router %s)%n", pods.size(), (System.nanoTime() - start) / 1e9,
                routerKnowsGroups ? "resolving MOEMESH_ROUTER_EXPERT_GROUPS" : "on MOEMESH_ROUTER_EXPERT_ENDPOINTS");
    }

    @AfterAll
    void stop() {
        pods.values().parallelStream().forEach(LoopbackPod::close);
    }

    @Test
    void everyDeploymentOfTheChartRuns() {
        assertEquals(chart.ofKind("Deployment").stream().map(Rendered::name).toList(), List.copyOf(pods.keySet()));
        assertEquals(Repo.SERVICE_MODULES.stream().sorted().toList(),
                pods.values().stream().map(p -> p.module).distinct().sorted().toList(), "every service's image runs");
    }

    @Test
    void everyProbeAnswers200WithStatusUp() throws IOException {
        for (LoopbackPod pod : pods.values()) {
            for (String probe : List.of("startupProbe", "readinessProbe", "livenessProbe")) {
                HttpResponse<String> r = pod.probe(probe);
                assertNotNull(r, pod.name + " " + probe + ": nothing answers on " + pod.container.path(probe));
                assertEquals(200, r.statusCode(), pod.name + " " + probe + ": " + r.body());
                assertEquals("UP", new ObjectMapper().readTree(r.body()).path("status").asText(), pod.name + " " + probe);
            }
        }
    }

    @Test
    void grpcHealthIsServingOnEveryPortAServiceSendsGrpcTo() {
        for (LoopbackPod pod : pods.values()) {
            // Each pod's gRPC is on its port named grpc if it has one, else on its HTTP port (the chart's contract).
            boolean own = pod.container.path("ports").findValuesAsText("name").contains("grpc");
            assertServing(pod.address(Rendered.textNode(own ? "grpc" : "http")), pod.name);
        }
        // The gateway Service's gRPC port leads where gRPC is served.
        String gateway = HelmChart.RELEASE + "-gateway";
        JsonNode grpcPort = null;
        for (JsonNode p : chart.get("Service", gateway).at("/spec/ports")) {
            if (p.path("name").asText().equals("grpc")) {
                grpcPort = p;
            }
        }
        assertNotNull(grpcPort, "the gateway Service has no grpc port");
        assertServing(pods.get(gateway).address(grpcPort.path("targetPort")), "Service " + gateway + " port grpc");
    }

    @Test
    void theMeshAnswersACompletionThroughTheRenderedWiring() throws IOException {
        HttpResponse<String> r = complete();
        assertNotNull(r, "the gateway did not answer");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(3, new ObjectMapper().readTree(r.body()).at("/usage/completion_tokens").asInt(), r.body());

        // The gateway would run a role in-process if its endpoint did not reach it (a misnamed env var, say): make sure
        // the remote ones did the work. The gateway names the endpoints it uses once its model is loaded.
        LoopbackPod gateway = pods.get(HelmChart.RELEASE + "-gateway");
        String log = Files.readString(gateway.log);
        for (String role : List.of("-router", "-attention")) {
            LoopbackPod remote = pods.get(HelmChart.RELEASE + role);
            assertTrue(log.contains(remote.address(Rendered.textNode("http"))),
                    "the gateway's log never names " + remote.name + " at " + remote.address(Rendered.textNode("http")) + ":\n" + gateway.tail());
        }
        // And the router counted the tokens it sent to the experts, where it exports that count.
        LoopbackPod router = pods.get(HelmChart.RELEASE + "-router");
        if (servesPrometheus(router.module)) {
            double routed = router.get(Rendered.textNode("http"), "/q/metrics").body().lines()
                    .filter(l -> l.startsWith("moemesh_router_expert_tokens_total{"))
                    .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
            assertTrue(routed > 0, "the router routed no token to an expert");
        }
    }

    /** Three greedy tokens from token ids (the fixture has no tokenizer files), through every hop of the mesh. */
    private HttpResponse<String> complete() {
        LoopbackPod gateway = pods.get(HelmChart.RELEASE + "-gateway");
        String modelId = gateway.env.get("MOEMESH_GATEWAY_MODEL_ID");
        return LoopbackPod.send(HttpRequest.newBuilder(URI.create("http://" + gateway.address(Rendered.textNode("http"))
                        + "/v1/completions")).timeout(Duration.ofSeconds(60)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\": \"" + modelId
                        + "\", \"prompt\": [1, 2, 3], \"max_tokens\": 3, \"temperature\": 0, \"ignore_eos\": true}"))
                .build());
    }

    @Test
    void metricsAreServedWhereTheServiceMonitorScrapes() {
        JsonNode endpoint = HelmChart.template(Repo.DEMO_VALUES, HelmChart.write(work, MESH_OVERRIDES + "\nserviceMonitor: {enabled: true}"))
                .ofKind("ServiceMonitor").getFirst().at("/spec/endpoints/0");
        // Experts must have computed something for their token counter to show whatever way it is registered.
        assertEquals(200, complete().statusCode());
        List<String> without = new ArrayList<>();
        for (LoopbackPod pod : pods.values()) {
            if (!servesPrometheus(pod.module)) {
                without.add(pod.module);
                continue;
            }
            HttpResponse<String> r = pod.get(endpoint.path("port"), endpoint.path("path").asText());
            assertTrue(r != null && r.statusCode() == 200, pod.name + " " + endpoint + ": " + (r == null ? "no answer" : r.statusCode()));
            if (pod.module.equals("expert-service")) {
                // The counter the HPAs' metric is computed from (the Prometheus adapter rule).
                assertTrue(r.body().contains("moemesh_expert_tokens_total"), pod.name + " does not export moemesh_expert_tokens_total");
            }
        }
        assumeTrue(without.isEmpty(), "no Prometheus registry packaged in " + without.stream().distinct().toList() + " yet: not checked there");
    }

    @Test
    void aGatewayWithItsOwnGrpcPortAndAnApiKeyServesBoth() {
        Rendered variant = HelmChart.template(Repo.DEMO_VALUES, HelmChart.write(work, GATEWAY_VARIANT));
        ObjectNode deployment = variant.get("Deployment", HelmChart.RELEASE + "-gateway");
        String ip = "127.77.0." + nextAddress++;
        Map<String, Map<Integer, Integer>> ports = new LinkedHashMap<>();
        pods.forEach((name, pod) -> ports.put(name, pod.ports));
        Map<String, String> addresses = new LinkedHashMap<>();
        pods.forEach((name, pod) -> addresses.put(name, pod.ip));
        Map<String, String> services = serviceAddresses(variant, addresses, ports);
        Map<Integer, Integer> own = ports(Rendered.container(deployment), ip);
        try (LoopbackPod gateway = LoopbackPod.start(deployment, ip, own, env(variant, deployment, services, own), work.resolve("variant"))) {
            gateway.awaitReady(READY_TIMEOUT);
            for (String probe : List.of("startupProbe", "readinessProbe", "livenessProbe")) {
                assertEquals(200, gateway.probe(probe).statusCode(), probe);
            }
            assertServing(gateway.address(Rendered.textNode("grpc")), "the gateway's own gRPC port");
            String models = "http://" + gateway.address(Rendered.textNode("http")) + "/v1/models";
            assertEquals(401, LoopbackPod.send(HttpRequest.newBuilder(URI.create(models)).build()).statusCode(), "without the key");
            assertEquals(200, LoopbackPod.send(HttpRequest.newBuilder(URI.create(models)).header("Authorization", "Bearer it-key").build())
                    .statusCode(), "with the key from the chart's Secret");
        }
    }

    /**
     * The planner's output is this chart's input: plan from this mesh's own measured load (the router's
     * /expert-load) and install the result, which must pass the schema, validate, and host the whole model.
     */
    @Test
    void thePlanMadeFromThisMeshsLoadInstalls() throws Exception {
        assertEquals(200, complete().statusCode());
        HttpResponse<String> load = pods.get(HelmChart.RELEASE + "-router").get(Rendered.textNode("http"), "/expert-load");
        assumeTrue(load != null && load.statusCode() == 200, "this router-service serves no /expert-load");
        Path loadFile = Files.writeString(work.resolve("expert-load.json"), load.body());
        Path planned = work.resolve("planned-expert-groups.yaml");
        Files.deleteIfExists(planned);
        Path cli = Repo.ROOT.resolve("cli/target");
        Process plan = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", cli.resolve("moe-mesh-cli.jar") + ":" + cli.resolve("lib") + "/*", "io.moemesh.cli.Main",
                "plan", "--load", loadFile.toString(), "--groups", "3", "--max-replicas", "4", "--target-tokens-per-second", "500",
                "--output", planned.toString()).redirectErrorStream(true).start();
        String output = new String(plan.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(plan.waitFor(60, TimeUnit.SECONDS) && plan.exitValue() == 0, "moe-mesh plan failed:\n" + output);

        Rendered r = HelmChart.template(Repo.DEMO_VALUES, planned);
        List<String> problems = new ArrayList<>();
        r.objects().forEach(o -> problems.addAll(KubernetesApi.problems(o)));
        assertEquals(List.of(), problems);
        ObjectNode values = HelmChart.values(Repo.DEMO_VALUES, planned);
        assertEquals(3, values.get("expertGroups").size(), Files.readString(planned));
        ChartTest.assertGroups(values, r);
        // Planned on the fixture's load, so it must host the fixture's every (layer, expert).
        ModelShape fixture = ModelShape.ofDir(ReferenceFixture.modelDir(FIXTURE));
        assertEquals(List.of(), ChartTest.unhosted(r, fixture), Files.readString(planned));
    }

    @Test
    void theDockerfilesCopyWhatPackagingProduces() throws IOException {
        for (String module : Repo.SERVICE_MODULES) {
            Path dir = Repo.ROOT.resolve(module);
            for (List<String> copy : Dockerfile.of(module).copies()) {
                for (String source : copy.subList(0, copy.size() - 1)) {
                    Path parent = dir.resolve(source).getParent();
                    String glob = Path.of(source).getFileName().toString();
                    try (Stream<Path> matches = Files.list(parent)) {
                        assertTrue(matches.anyMatch(p -> p.getFileSystem().getPathMatcher("glob:" + glob).matches(p.getFileName())),
                                module + ": COPY " + source + " matches nothing in " + parent);
                    }
                }
            }
        }
    }

    // ---- what the cluster provides ----

    /** containerPort -> port bound here, for every port of a container. */
    private static Map<Integer, Integer> ports(JsonNode container, String ip) {
        Map<Integer, Integer> ports = new LinkedHashMap<>();
        for (JsonNode p : container.path("ports")) {
            int port = p.path("containerPort").asInt();
            ports.put(port, LoopbackPod.bindable(ip, port));
        }
        return ports;
    }

    /** "service:port" -> "ip:port" of the pod behind each rendered Service (one pod per Deployment here). */
    private static Map<String, String> serviceAddresses(Rendered chart, Map<String, String> addresses, Map<String, Map<Integer, Integer>> ports) {
        Map<String, String> services = new LinkedHashMap<>();
        for (ObjectNode service : chart.ofKind("Service")) {
            List<ObjectNode> behind = chart.ofKind("Deployment").stream()
                    .filter(d -> Rendered.selects(service.at("/spec/selector"), Rendered.podLabels(d))).toList();
            assertEquals(1, behind.size(), Rendered.describe(service) + " selects " + behind.size() + " Deployments");
            String deployment = Rendered.name(behind.getFirst());
            for (JsonNode p : service.at("/spec/ports")) {
                int containerPort = Rendered.containerPort(Rendered.container(behind.getFirst()), p.path("targetPort"));
                int bound = ports.get(deployment).getOrDefault(containerPort, containerPort);
                services.put(Rendered.name(service) + ":" + p.path("port").asInt(), addresses.get(deployment) + ":" + bound);
            }
        }
        return services;
    }

    /** The container's env with secrets resolved, as the kubelet gives it, then rewritten for this machine. */
    private Map<String, String> env(Rendered chart, JsonNode deployment, Map<String, String> services, Map<Integer, Integer> moved) {
        JsonNode container = Rendered.container(deployment);
        Map<String, String> env = new LinkedHashMap<>();
        for (JsonNode e : container.path("env")) {
            String name = e.path("name").asText();
            if (e.has("value")) {
                env.put(name, e.path("value").asText());
            } else if (e.has("valueFrom") && e.at("/valueFrom/secretKeyRef").isObject()) {
                JsonNode ref = e.at("/valueFrom/secretKeyRef");
                ObjectNode secret = chart.get("Secret", ref.path("name").asText());
                env.put(name, new String(Base64.getDecoder().decode(secret.at("/data").path(ref.path("key").asText()).asText()),
                        StandardCharsets.UTF_8));
            } else {
                throw new AssertionError(Rendered.describe(deployment) + ": env " + name + " has a source this test cannot provide: " + e);
            }
        }
        String mountPath = values.at("/model/mountPath").asText();
        Map<String, String> out = new LinkedHashMap<>();
        for (var e : env.entrySet()) {
            String v = e.getValue();
            if (v.equals(mountPath) || v.startsWith(mountPath + "/")) {
                v = volume + v.substring(mountPath.length());
            }
            for (var s : services.entrySet()) {
                v = v.replace(s.getKey(), s.getValue());
            }
            if (e.getKey().equals("MOEMESH_EXPERT_HOSTED")) {
                v = fitToFixture(v);
            }
            out.put(e.getKey(), v);
        }
        // Ports that had to move (another process holds the containerPort on every address).
        moved.forEach((from, to) -> {
            if (!from.equals(to)) {
                out.replaceAll((k, v) -> k.startsWith("QUARKUS_") && k.endsWith("_PORT") && v.equals(String.valueOf(from)) ? String.valueOf(to) : v);
            }
        });
        String groups = out.get("MOEMESH_ROUTER_EXPERT_GROUPS");
        if (groups != null && !routerKnowsGroups) {
            // A router built before expert groups: the same pods, as its static list.
            out.put("MOEMESH_ROUTER_EXPERT_ENDPOINTS", String.join(",",
                    Stream.of(groups.split(",")).map(g -> g.substring(g.indexOf('=') + 1)).toList()));
        }
        return out;
    }

    private String fitToFixture(String spec) {
        ModelShape demo = ModelShape.of(values.at("/model/path").asText());
        ModelShape fixture = ModelShape.ofDir(ReferenceFixture.modelDir(FIXTURE));
        // Each pair scaled down to the fixture's shape: groups that cover the demo's model cover the fixture.
        return HostedRange.formatSpec(HostedRange.pairsOf(spec).stream()
                .map(p -> new LayerExpert(p.layer() * fixture.layers() / demo.layers(),
                        p.expert() * fixture.experts() / demo.experts()))
                .collect(java.util.stream.Collectors.toSet()));
    }

    private static boolean routerKnowsGroups() {
        return appClassMentions("router-service", "io/moemesh/router/RouterConfig.class", "expertGroups");
    }

    private static boolean servesPrometheus(String module) {
        try (Stream<Path> libs = Files.list(Repo.quarkusApp(module).resolve("lib/main"))) {
            return libs.anyMatch(p -> p.getFileName().toString().contains("quarkus-micrometer-registry-prometheus"));
        } catch (IOException e) {
            return false;
        }
    }

    private static boolean appClassMentions(String module, String entry, String text) {
        try (Stream<Path> jars = Files.list(Repo.quarkusApp(module).resolve("app"))) {
            for (Path jar : jars.filter(p -> p.toString().endsWith(".jar")).toList()) {
                try (JarFile f = new JarFile(jar.toFile())) {
                    var e = f.getJarEntry(entry);
                    if (e != null) {
                        try (InputStream in = f.getInputStream(e)) {
                            return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1).contains(text);
                        }
                    }
                }
            }
        } catch (IOException e) {
            return false;
        }
        return false;
    }

    private static void assertServing(String address, String what) {
        ManagedChannel channel = ManagedChannelBuilder.forTarget(address).usePlaintext().build();
        try {
            HealthCheckResponse r = HealthGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                    .check(HealthCheckRequest.getDefaultInstance());
            assertEquals(HealthCheckResponse.ServingStatus.SERVING, r.getStatus(), what + " at " + address);
        } catch (StatusRuntimeException e) {
            throw new AssertionError(what + ": grpc.health.v1 Check at " + address + " failed: " + e.getStatus(), e);
        } finally {
            channel.shutdownNow();
        }
    }
}

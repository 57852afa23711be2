package io.moemesh.deploy;

import io.moemesh.core.placement.HostedRange;
import io.moemesh.core.placement.LayerExpert;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.marcnuri.helm.LintResult;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** The chart, rendered with each example values file: what it renders, and that Helm accepts it. */
class ChartTest {
    static final List<String> EXAMPLES = Repo.EXAMPLE_FILES;
    static final String EXPERT_LOAD_METRIC = "moemesh_expert_tokens_per_second";

    @TempDir
    Path tmp;

    @ParameterizedTest
    @FieldSource("EXAMPLES")
    void lintsStrictlyWithEachExample(String example) {
        LintResult lint = HelmChart.lintStrict(Repo.EXAMPLES.resolve(example), tmp);
        assertFalse(lint.isFailed(), () -> "helm lint --strict -f " + example + ": " + lint.getMessages());
        // --strict already fails on warnings; an error in a template shows as [ERROR] even when lint passes a chart.
        assertTrue(lint.getMessages().stream().noneMatch(m -> m.contains("[ERROR]") || m.contains("[WARNING]")),
                () -> example + ": " + lint.getMessages());
    }

    @Test
    void lintsStrictlyWithTheDefaultValues() {
        LintResult lint = new com.marcnuri.helm.Helm(Repo.CHART).lint().strict().call();
        assertFalse(lint.isFailed(), () -> "helm lint --strict: " + lint.getMessages());
        assertTrue(lint.getMessages().stream().noneMatch(m -> m.contains("[ERROR]") || m.contains("[WARNING]")), lint.getMessages()::toString);
        assertEquals(List.of(), HelmChart.template().objects().stream().flatMap(o -> KubernetesApi.problems(o).stream()).toList());
    }

    @ParameterizedTest
    @FieldSource("EXAMPLES")
    void rendersOneDeploymentAndServicePerServiceAndGroupAndNothingElseUnasked(String example) {
        Path file = Repo.EXAMPLES.resolve(example);
        ObjectNode values = HelmChart.values(file);
        Rendered r = HelmChart.template(file);
        List<JsonNode> groups = list(values.get("expertGroups"));
        boolean attention = values.at("/attention/enabled").asBoolean();

        int deployments = 2 + (attention ? 1 : 0) + groups.size();
        long hpas = groups.stream().filter(g -> autoscaling(values, g).path("enabled").asBoolean()).count();
        int pdbs = (values.at("/gateway/pdb/enabled").asBoolean() ? 1 : 0) + (values.at("/router/pdb/enabled").asBoolean() ? 1 : 0)
                + (attention && values.at("/attention/pdb/enabled").asBoolean() ? 1 : 0)
                + (values.at("/expertDefaults/pdb/enabled").asBoolean() ? groups.size() : 0);
        Map<String, Integer> expected = new LinkedHashMap<>();
        expected.put("Deployment", deployments);
        expected.put("Service", deployments);
        expected.put("HorizontalPodAutoscaler", (int) hpas);
        expected.put("PodDisruptionBudget", pdbs);
        expected.put("ServiceMonitor", values.at("/serviceMonitor/enabled").asBoolean() ? 1 : 0);
        expected.put("ConfigMap", values.at("/prometheusAdapter/rulesConfigMap/enabled").asBoolean() ? 1 : 0);
        expected.put("Secret", values.at("/gateway/apiKey/value").asText("").isEmpty() ? 0 : 1);

        Map<String, Integer> actual = new LinkedHashMap<>();
        expected.keySet().forEach(kind -> actual.put(kind, r.ofKind(kind).size()));
        assertEquals(expected, actual, example);
        assertEquals(expected.values().stream().mapToInt(Integer::intValue).sum(), r.objects().size(),
                () -> example + " renders kinds nobody asked for: " + r.objects().stream().map(Rendered::describe).toList());
    }

    @ParameterizedTest
    @FieldSource("EXAMPLES")
    void eachExpertGroupIsItsOwnDeploymentHeadlessServiceHpaAndPdb(String example) {
        Path file = Repo.EXAMPLES.resolve(example);
        assertGroups(HelmChart.values(file), HelmChart.template(file));
    }

    @Test
    void aGroupsOwnAutoscalingAndResourcesWinOverTheDefaults() {
        // Bounds, replicas and targets that all differ, so that no field can stand in for another.
        Path groups = HelmChart.write(tmp, """
                expertDefaults: {autoscaling: {enabled: true, targetTokensPerSecond: 777}, resources: {requests: {cpu: "3"}}}
                expertGroups:
                  - {name: g0, hosted: "0-3:0-63", replicas: 2, minReplicas: 1, maxReplicas: 5,
                     autoscaling: {targetTokensPerSecond: 1234}, resources: {requests: {cpu: "7"}}}
                  - {name: g1, hosted: "0-3:64-127", replicas: 3, minReplicas: 2, maxReplicas: 9, autoscaling: {enabled: false}}
                  - {name: g2, hosted: "0-3:0-127", replicas: 4, minReplicas: 3, maxReplicas: 6}
                """);
        ObjectNode values = HelmChart.values(Repo.DEMO_VALUES, groups);
        Rendered r = HelmChart.template(Repo.DEMO_VALUES, groups);
        assertGroups(values, r);
        assertEquals(List.of("moe-mesh-expert-g0", "moe-mesh-expert-g2"), r.ofKind("HorizontalPodAutoscaler").stream().map(Rendered::name).toList());
        assertEquals("1234", r.get("HorizontalPodAutoscaler", "moe-mesh-expert-g0").at("/spec/metrics/0/pods/target/averageValue").asText());
        assertEquals("777", r.get("HorizontalPodAutoscaler", "moe-mesh-expert-g2").at("/spec/metrics/0/pods/target/averageValue").asText());
        assertEquals("7", Rendered.container(r.get("Deployment", "moe-mesh-expert-g0")).at("/resources/requests/cpu").asText());
        assertEquals("3", Rendered.container(r.get("Deployment", "moe-mesh-expert-g1")).at("/resources/requests/cpu").asText());
    }

    static void assertGroups(ObjectNode values, Rendered r) {
        List<ObjectNode> deployments = r.ofKind("Deployment");
        for (JsonNode group : list(values.get("expertGroups"))) {
            String name = HelmChart.RELEASE + "-expert-" + group.path("name").asText();
            JsonNode autoscaling = autoscaling(values, group);
            ObjectNode deployment = r.get("Deployment", name);
            JsonNode container = Rendered.container(deployment);
            assertEquals(group.path("hosted").asText(), Rendered.envValue(container, "MOEMESH_EXPERT_HOSTED"), name);
            assertEquals(group.path("name").asText(), Rendered.envValue(container, "MOEMESH_EXPERT_GROUP"), name);
            if (autoscaling.path("enabled").asBoolean()) {
                // The HPA owns the replica count; a Deployment that also set it would be reset on every upgrade.
                assertFalse(deployment.path("spec").has("replicas"), name + " sets replicas although an HPA scales it");
            } else {
                assertEquals(group.path("replicas").asInt(), deployment.at("/spec/replicas").asInt(), name);
            }

            ObjectNode service = r.get("Service", name);
            assertEquals("None", service.at("/spec/clusterIP").asText(), name + " must be headless: the router resolves its pods");
            assertTrue(service.at("/spec/publishNotReadyAddresses").isBoolean()
                    && !service.at("/spec/publishNotReadyAddresses").asBoolean(), name + ": not-ready pods must stay out of DNS");
            assertSelectsOnly(service.at("/spec/selector"), deployment, deployments, "Service " + name);

            if (autoscaling.path("enabled").asBoolean()) {
                ObjectNode hpa = r.get("HorizontalPodAutoscaler", name);
                JsonNode target = hpa.at("/spec/scaleTargetRef");
                assertEquals("apps/v1/Deployment/" + name,
                        target.path("apiVersion").asText() + "/" + target.path("kind").asText() + "/" + target.path("name").asText());
                assertEquals(group.path("minReplicas").asInt(), hpa.at("/spec/minReplicas").asInt(), name);
                assertEquals(group.path("maxReplicas").asInt(), hpa.at("/spec/maxReplicas").asInt(), name);
                JsonNode metrics = hpa.at("/spec/metrics");
                assertEquals(1, metrics.size(), name);
                assertEquals("Pods", metrics.get(0).path("type").asText(), name + ": the load of this group's own pods");
                assertEquals(EXPERT_LOAD_METRIC, metrics.get(0).at("/pods/metric/name").asText(), name);
                assertEquals("AverageValue", metrics.get(0).at("/pods/target/type").asText(), name);
                assertEquals(autoscaling.path("targetTokensPerSecond").asText(), metrics.get(0).at("/pods/target/averageValue").asText(), name);
            } else {
                assertTrue(r.find("HorizontalPodAutoscaler", name).isEmpty(), name + " has an HPA although autoscaling is off");
            }
            if (values.at("/expertDefaults/pdb/enabled").asBoolean()) {
                assertSelectsOnly(r.get("PodDisruptionBudget", name).at("/spec/selector/matchLabels"), deployment, deployments,
                        "PodDisruptionBudget " + name);
            }
        }
    }

    @ParameterizedTest
    @FieldSource("EXAMPLES")
    void everyServiceAndBudgetSelectsThePodsOfExactlyOneDeployment(String example) {
        Rendered r = HelmChart.template(Repo.EXAMPLES.resolve(example));
        List<JsonNode> deployments = List.copyOf(r.ofKind("Deployment"));
        for (ObjectNode deployment : r.ofKind("Deployment")) {
            assertTrue(Rendered.selects(deployment.at("/spec/selector/matchLabels"), Rendered.podLabels(deployment)),
                    Rendered.describe(deployment) + "'s selector does not select its own pods");
            assertSelectsOnly(r.get("Service", Rendered.name(deployment)).at("/spec/selector"), deployment, deployments,
                    "Service " + Rendered.name(deployment));
        }
        for (ObjectNode pdb : r.ofKind("PodDisruptionBudget")) {
            assertSelectsOnly(pdb.at("/spec/selector/matchLabels"), r.get("Deployment", Rendered.name(pdb)), deployments,
                    Rendered.describe(pdb));
        }
    }

    @ParameterizedTest
    @FieldSource("EXAMPLES")
    void routerDispatchesToEveryGroupThroughItsHeadlessService(String example) {
        Path file = Repo.EXAMPLES.resolve(example);
        Rendered r = HelmChart.template(file);
        JsonNode router = Rendered.container(r.get("Deployment", HelmChart.RELEASE + "-router"));
        Map<String, String> groups = new LinkedHashMap<>();
        for (String entry : Rendered.envValue(router, "MOEMESH_ROUTER_EXPERT_GROUPS").split(",")) {
            String[] kv = entry.split("=", 2);
            assertEquals(2, kv.length, "GROUP=HOST:PORT expected, got " + entry);
            assertTrue(groups.put(kv[0], kv[1]) == null, "group " + kv[0] + " named twice");
        }
        List<String> names = list(HelmChart.values(file).get("expertGroups")).stream().map(g -> g.path("name").asText()).toList();
        assertEquals(names, List.copyOf(groups.keySet()), "the router's groups are the values' groups");
        for (var e : groups.entrySet()) {
            String host = e.getValue().substring(0, e.getValue().lastIndexOf(':'));
            int port = Integer.parseInt(e.getValue().substring(e.getValue().lastIndexOf(':') + 1));
            ObjectNode service = r.get("Service", host);
            assertEquals("None", service.at("/spec/clusterIP").asText(), host + " is not headless");
            JsonNode servicePort = null;
            for (JsonNode p : service.at("/spec/ports")) {
                if (p.path("port").asInt() == port) {
                    servicePort = p;
                }
            }
            assertTrue(servicePort != null, host + " has no port " + port);
            // A headless Service does not remap ports: the router dials the pod on this very port.
            JsonNode expert = Rendered.container(r.get("Deployment", host));
            assertEquals(port, Rendered.containerPort(expert, servicePort.path("targetPort")), host);
            assertEquals(e.getKey(), Rendered.envValue(expert, "MOEMESH_EXPERT_GROUP"));
        }
    }

    @ParameterizedTest
    @FieldSource("EXAMPLES")
    void theGroupsTogetherHostEveryExpertOfTheModel(String example) {
        Path file = Repo.EXAMPLES.resolve(example);
        ObjectNode values = HelmChart.values(file);
        ModelShape model = ModelShape.of(values.at("/model/path").asText());
        List<String> missing = unhosted(HelmChart.template(file), model);
        assertTrue(missing.isEmpty(), () -> example + " (" + model.name() + ", " + model.layers() + " layers x " + model.experts()
                + " experts): no group hosts " + missing.size() + " experts, e.g. " + missing.subList(0, Math.min(10, missing.size())));
    }

    /** The (layer, expert) pairs of the model's MoE layers that no rendered expert Deployment hosts. */
    static List<String> unhosted(Rendered r, ModelShape model) {
        boolean[][] hosted = new boolean[model.layers()][model.experts()];
        for (ObjectNode d : r.ofKind("Deployment")) {
            JsonNode container = Rendered.container(d);
            Rendered.envEntry(container, "MOEMESH_EXPERT_HOSTED").ifPresent(spec -> {
                for (LayerExpert pair : HostedRange.pairsOf(spec.path("value").asText())) {
                    if (pair.layer() >= model.layers() || pair.expert() >= model.experts()) {
                        throw new AssertionError(pair + " is outside a model of " + model.layers() + " layers x "
                                + model.experts() + " experts");
                    }
                    hosted[pair.layer()][pair.expert()] = true;
                }
            });
        }
        List<String> missing = new ArrayList<>();
        for (int l = 0; l < model.layers(); l++) {
            for (int e = 0; e < model.experts() && model.isMoeLayer(l); e++) {
                if (!hosted[l][e]) {
                    missing.add("(" + l + "," + e + ")");
                }
            }
        }
        return missing;
    }

    @ParameterizedTest
    @FieldSource("EXAMPLES")
    void probesAskTheHealthEndpointsOnTheServingPortAndTheJvmGetsTheVectorModule(String example) {
        Path file = Repo.EXAMPLES.resolve(example);
        ObjectNode values = HelmChart.values(file);
        Rendered r = HelmChart.template(file);
        int port = values.path("containerPort").asInt();
        String modelDir = values.at("/model/mountPath").asText() + "/" + values.at("/model/path").asText();
        for (ObjectNode d : r.ofKind("Deployment")) {
            String what = Rendered.describe(d);
            JsonNode c = Rendered.container(d);
            assertAll(what,
                    () -> assertEquals(String.valueOf(port), Rendered.envValue(c, "QUARKUS_HTTP_PORT")),
                    () -> assertEquals(port, Rendered.containerPort(c, Rendered.textNode("http"))),
                    () -> assertProbe(c, "startupProbe", "/q/health/started", port, values.at("/probes/startup")),
                    () -> assertProbe(c, "readinessProbe", "/q/health/ready", port, values.at("/probes/readiness")),
                    () -> assertProbe(c, "livenessProbe", "/q/health/live", port, values.at("/probes/liveness")),
                    () -> assertTrue(List.of(Rendered.envValue(c, "JAVA_OPTS_APPEND").split(" "))
                            .containsAll(List.of("--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"))),
                    () -> assertEquals(1, Rendered.env(c).entrySet().stream()
                            .filter(e -> e.getKey().endsWith("_MODEL_DIR") && e.getValue().equals(modelDir)).count(),
                            "one *_MODEL_DIR naming " + modelDir));
            JsonNode mount = null;
            for (JsonNode m : c.path("volumeMounts")) {
                if (m.path("mountPath").asText().equals(values.at("/model/mountPath").asText())) {
                    mount = m;
                }
            }
            assertTrue(mount != null && mount.path("readOnly").asBoolean(), what + ": the model volume must be mounted read-only");
            for (JsonNode v : d.at("/spec/template/spec/volumes")) {
                if (v.path("name").asText().equals(mount.path("name").asText()) && v.has("persistentVolumeClaim")) {
                    assertEquals(values.at("/model/pvc/claimName").asText(), v.at("/persistentVolumeClaim/claimName").asText());
                    assertTrue(v.at("/persistentVolumeClaim/readOnly").asBoolean(), what + ": the claim must be read-only");
                } else if (v.path("name").asText().equals(mount.path("name").asText())) {
                    assertEquals(values.at("/model/hostPath").asText(), v.at("/hostPath/path").asText(), what);
                }
            }
        }
    }

    @Test
    void theStartupBudgetIsAValue() {
        Rendered r = HelmChart.template(Repo.DEMO_VALUES, "probes: {startup: {periodSeconds: 20, failureThreshold: 999, timeoutSeconds: 5}}", tmp);
        for (ObjectNode d : r.ofKind("Deployment")) {
            JsonNode probe = Rendered.container(d).path("startupProbe");
            assertEquals(999, probe.path("failureThreshold").asInt(), Rendered.describe(d));
            assertEquals(20, probe.path("periodSeconds").asInt(), Rendered.describe(d));
        }
    }

    @Test
    void gatewayServesGrpcOnItsHttpPortUnlessASeparatePortIsAsked() {
        String gateway = HelmChart.RELEASE + "-gateway";
        Rendered shared = HelmChart.template(Repo.DEMO_VALUES);
        JsonNode c = Rendered.container(shared.get("Deployment", gateway));
        assertEquals(List.of("http"), names(c.path("ports")));
        assertTrue(Rendered.envEntry(c, "QUARKUS_GRPC_SERVER_USE_SEPARATE_SERVER").isEmpty());
        assertEquals("http", servicePort(shared.get("Service", gateway), "grpc").path("targetPort").asText(),
                "the Service's gRPC port leads to the HTTP port, where gRPC is served");

        Rendered separate = HelmChart.template(Repo.DEMO_VALUES, "gateway: {grpc: {separatePort: true, port: 9123}}", tmp);
        JsonNode s = Rendered.container(separate.get("Deployment", gateway));
        assertEquals(9123, Rendered.containerPort(s, Rendered.textNode("grpc")));
        assertEquals("true", Rendered.envValue(s, "QUARKUS_GRPC_SERVER_USE_SEPARATE_SERVER"));
        assertEquals("9123", Rendered.envValue(s, "QUARKUS_GRPC_SERVER_PORT"));
        assertEquals("grpc", servicePort(separate.get("Service", gateway), "grpc").path("targetPort").asText());
    }

    @Test
    void apiKeyReachesTheGatewayFromASecretOnly() {
        String gateway = HelmChart.RELEASE + "-gateway";
        Rendered none = HelmChart.template(Repo.DEMO_VALUES);
        assertTrue(Rendered.envEntry(Rendered.container(none.get("Deployment", gateway)), "MOEMESH_GATEWAY_API_KEY").isEmpty());

        Rendered made = HelmChart.template(Repo.DEMO_VALUES, "gateway: {apiKey: {value: s3cret-key}}", tmp);
        JsonNode ref = Rendered.envEntry(Rendered.container(made.get("Deployment", gateway)), "MOEMESH_GATEWAY_API_KEY")
                .orElseThrow().at("/valueFrom/secretKeyRef");
        ObjectNode secret = made.get("Secret", ref.path("name").asText());
        assertEquals("s3cret-key", new String(Base64.getDecoder().decode(secret.at("/data").path(ref.path("key").asText()).asText()),
                StandardCharsets.UTF_8));
        assertFalse(made.yaml().contains("s3cret-key"), "the key must appear only base64-encoded in the Secret");
        // A new key must restart the pods (environment from a Secret is read at container start).
        Rendered other = HelmChart.template(Repo.DEMO_VALUES, "gateway: {apiKey: {value: other-key}}", tmp);
        assertFalse(made.get("Deployment", gateway).at("/spec/template/metadata/annotations")
                .equals(other.get("Deployment", gateway).at("/spec/template/metadata/annotations")));

        Rendered existing = HelmChart.template(Repo.DEMO_VALUES,
                "gateway: {apiKey: {existingSecret: keys, existingSecretKey: gateway}}", tmp);
        JsonNode existingRef = Rendered.envEntry(Rendered.container(existing.get("Deployment", gateway)), "MOEMESH_GATEWAY_API_KEY")
                .orElseThrow().at("/valueFrom/secretKeyRef");
        assertEquals("keys/gateway", existingRef.path("name").asText() + "/" + existingRef.path("key").asText());
        assertTrue(existing.ofKind("Secret").isEmpty(), "an existing Secret is not rendered again");
    }

    @Test
    void serviceMonitorScrapesTheMetricsPathOfEveryService() {
        Rendered r = HelmChart.template(Repo.EXAMPLES.resolve("qwen3-30b-a3b-4groups.yaml"));
        List<ObjectNode> monitors = r.ofKind("ServiceMonitor");
        assertEquals(1, monitors.size());
        JsonNode spec = monitors.getFirst().path("spec");
        JsonNode endpoint = spec.path("endpoints").get(0);
        assertEquals("/q/metrics", endpoint.path("path").asText());
        for (ObjectNode service : r.ofKind("Service")) {
            String what = Rendered.describe(service);
            assertTrue(Rendered.selects(spec.at("/selector/matchLabels"), service.at("/metadata/labels")), what + " is not scraped");
            // The named Service port must lead to the container's HTTP port, where /q/metrics is served.
            JsonNode port = servicePort(service, endpoint.path("port").asText());
            JsonNode container = Rendered.container(r.get("Deployment", Rendered.name(service)));
            assertEquals(Rendered.containerPort(container, Rendered.textNode("http")), Rendered.containerPort(container, port.path("targetPort")), what);
        }
    }

    @Test
    void theAdapterRuleServesTheMetricTheHpasScaleOn() throws Exception {
        Rendered r = HelmChart.template(Repo.EXAMPLES.resolve("qwen3-30b-a3b-4groups.yaml"),
                "prometheusAdapter: {rulesConfigMap: {enabled: true}, rateWindow: 3m}", tmp);
        ObjectNode map = r.get("ConfigMap", HelmChart.RELEASE + "-prometheus-adapter-rules");
        JsonNode rules = HelmChart.YAML.readTree(map.at("/data/config.yaml").asText()).path("rules");
        assertEquals(1, rules.size());
        JsonNode rule = rules.get(0);
        String served = rule.at("/name/as").asText();
        for (ObjectNode hpa : r.ofKind("HorizontalPodAutoscaler")) {
            assertEquals(served, hpa.at("/spec/metrics/0/pods/metric/name").asText(), Rendered.describe(hpa));
        }
        // The counter each expert-service exports; a Pods metric needs the pod and namespace of each series.
        assertTrue(rule.path("seriesQuery").asText().startsWith("moemesh_expert_tokens_total{"), rule.toString());
        assertTrue("moemesh_expert_tokens_total".matches(rule.at("/name/matches").asText()), rule.toString());
        assertEquals("pod", rule.at("/resources/overrides/pod/resource").asText());
        assertEquals("namespace", rule.at("/resources/overrides/namespace/resource").asText());
        assertTrue(rule.path("metricsQuery").asText().contains("rate(<<.Series>>{<<.LabelMatchers>>}[3m])"), rule.toString());
    }

    @Test
    void anEverythingOnRenderIsValidToo() {
        // The options no example turns on, all at once, for the schema checks of KubernetesApiTest.
        Rendered r = HelmChart.template(Repo.DEMO_VALUES, EVERYTHING_ON, tmp);
        for (String kind : List.of("Secret", "ConfigMap", "ServiceMonitor", "HorizontalPodAutoscaler")) {
            assertFalse(r.ofKind(kind).isEmpty(), kind + " not rendered by EVERYTHING_ON");
        }
        assertTrue(r.find("Deployment", HelmChart.RELEASE + "-attention").isPresent());
    }

    /** Overrides of the demo values that turn on every optional object and option. */
    static final String EVERYTHING_ON = """
            attention: {enabled: true, layers: "0-3"}
            gateway:
              apiKey: {value: test-key}
              grpc: {separatePort: true, port: 9000}
              service: {grpcPort: 9090}
              extraEnv: [{name: MOEMESH_GATEWAY_PREFILL_CHUNK, value: "128"}]
              nodeSelector: {kubernetes.io/arch: amd64}
              tolerations: [{key: dedicated, operator: Equal, value: moe, effect: NoSchedule}]
            expertDefaults:
              autoscaling: {enabled: true}
              affinity:
                podAntiAffinity:
                  preferredDuringSchedulingIgnoredDuringExecution:
                    - weight: 100
                      podAffinityTerm:
                        topologyKey: kubernetes.io/hostname
                        labelSelector: {matchLabels: {app.kubernetes.io/component: expert}}
            serviceMonitor: {enabled: true, labels: {release: prometheus}}
            prometheusAdapter: {rulesConfigMap: {enabled: true}}
            imagePullSecrets: [{name: registry}]
            image: {registry: registry.example.com/moe-mesh, tag: "1.2.3"}
            """;

    static JsonNode autoscaling(ObjectNode values, JsonNode group) {
        ObjectNode merged = values.at("/expertDefaults/autoscaling").deepCopy();
        HelmChart.merge(merged, group.path("autoscaling"));
        return merged;
    }

    static List<JsonNode> list(JsonNode array) {
        List<JsonNode> out = new ArrayList<>();
        array.forEach(out::add);
        return out;
    }

    private static List<String> names(JsonNode ports) {
        return list(ports).stream().map(p -> p.path("name").asText()).toList();
    }

    private static JsonNode servicePort(JsonNode service, String name) {
        for (JsonNode p : service.at("/spec/ports")) {
            if (name.equals(p.path("name").asText())) {
                return p;
            }
        }
        return fail(Rendered.describe(service) + " has no port " + name);
    }

    private static void assertProbe(JsonNode container, String probe, String path, int port, JsonNode settings) {
        JsonNode p = container.path(probe);
        assertEquals(path, p.at("/httpGet/path").asText(), probe);
        assertEquals(port, Rendered.containerPort(container, p.at("/httpGet/port")), probe + " port");
        for (String key : List.of("periodSeconds", "failureThreshold", "timeoutSeconds")) {
            assertEquals(settings.path(key).asInt(), p.path(key).asInt(), probe + "." + key);
        }
    }

    private static void assertSelectsOnly(JsonNode selector, JsonNode own, List<? extends JsonNode> deployments, String what) {
        assertTrue(Rendered.selects(selector, Rendered.podLabels(own)), what + " does not select the pods of " + Rendered.describe(own));
        for (JsonNode other : deployments) {
            if (other != own && !Rendered.name(other).equals(Rendered.name(own))) {
                assertFalse(Rendered.selects(selector, Rendered.podLabels(other)), what + " also selects the pods of " + Rendered.describe(other));
            }
        }
    }
}

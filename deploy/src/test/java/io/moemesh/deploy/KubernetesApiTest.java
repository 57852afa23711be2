package io.moemesh.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every rendered object is one the Kubernetes API accepts, checked offline and strictly (KubernetesApi). */
class KubernetesApiTest {
    static final List<String> EXAMPLES = Repo.EXAMPLE_FILES;

    @TempDir
    Path tmp;

    @ParameterizedTest
    @FieldSource("EXAMPLES")
    void everyObjectOfEachExampleIsValid(String example) {
        assertValid(HelmChart.template(Repo.EXAMPLES.resolve(example)));
    }

    @Test
    void everyObjectIsValidWithEveryOptionOn() {
        assertValid(HelmChart.template(Repo.DEMO_VALUES, ChartTest.EVERYTHING_ON, tmp));
    }

    @Test
    void theCommittedManifestsAreValid() {
        assertValid(Rendered.parse(ManifestsTest.committed()));
    }

    /** The validator itself: it must catch what a strict API server would refuse, naming the field. */
    @Test
    void rejectsUnknownAndMissingFieldsAndWrongTypes() {
        Rendered r = HelmChart.template(Repo.DEMO_VALUES, ChartTest.EVERYTHING_ON, tmp);
        String gateway = HelmChart.RELEASE + "-gateway";
        expectProblem(r.get("Deployment", gateway), d -> container(d).put("livenesProbe", "typo"),
                "spec.template.spec.containers[0].livenesProbe: unknown field");
        expectProblem(r.get("Deployment", gateway), d -> container(d).remove("name"), "containers[0].name: required");
        expectProblem(r.get("Deployment", gateway), d -> ((ObjectNode) d.at("/spec/template/spec")).put("terminationGracePeriod", 30),
                "spec.template.spec.terminationGracePeriod: unknown field");
        expectProblem(r.get("Deployment", gateway), d -> ((ObjectNode) container(d).at("/resources/requests")).put("memory", "1 GB"),
                "'1 GB' is not a quantity");
        // An unquoted number in an env value: the API server refuses it ("cannot unmarshal number into ... string").
        expectProblem(r.get("Deployment", gateway), d -> ((ObjectNode) container(d).at("/env/0")).put("value", 8080),
                "containers[0].env[0].value: expected a string");
        expectProblem(r.get("Deployment", gateway), d -> container(d).put("env", "QUARKUS_HTTP_PORT=8080"),
                "containers[0].env: expected an array");
        expectProblem(r.get("Deployment", gateway), d -> ((ObjectNode) container(d).at("/startupProbe/httpGet")).put("port", true),
                "startupProbe.httpGet.port: expected an integer or a string");
        expectProblem(r.get("Service", gateway), s -> ((ObjectNode) s.at("/spec/ports/0")).put("targetport", "http"),
                "spec.ports[0].targetport: unknown field");
        expectProblem(r.ofKind("HorizontalPodAutoscaler").getFirst(), h -> ((ObjectNode) h.path("spec")).remove("scaleTargetRef"),
                "spec.scaleTargetRef: required");
        expectProblem(r.ofKind("PodDisruptionBudget").getFirst(), p -> ((ObjectNode) p.path("spec")).put("minAvailabel", 1),
                "spec.minAvailabel: unknown field");
        expectProblem(r.ofKind("Secret").getFirst(), s -> ((ObjectNode) s.path("data")).put("api-key", "not base64!"), "not base64");
        expectProblem(r.ofKind("ConfigMap").getFirst(), m -> m.put("dat", "x"), "dat: unknown field");
        expectProblem(r.ofKind("ServiceMonitor").getFirst(), m -> ((ObjectNode) m.at("/spec/endpoints/0")).put("pathh", "/q/metrics"),
                "spec.endpoints[0].pathh: unknown field");
        expectProblem(r.ofKind("ServiceMonitor").getFirst(), m -> ((ObjectNode) m.path("metadata")).put("label", "x"),
                "metadata.label: unknown field");
        expectProblem(r.ofKind("ServiceMonitor").getFirst(), m -> ((ObjectNode) m.path("spec")).remove("selector"), "spec.selector");
        expectProblem(r.ofKind("ServiceMonitor").getFirst(), m -> m.put("kind", "ServiceMonitors"), "ServiceMonitors");
    }

    private static ObjectNode container(ObjectNode deployment) {
        return (ObjectNode) ((ArrayNode) deployment.at("/spec/template/spec/containers")).get(0);
    }

    private static void expectProblem(ObjectNode valid, Consumer<ObjectNode> breakIt, String named) {
        assertEquals(List.of(), KubernetesApi.problems(valid), "before the change");
        ObjectNode broken = valid.deepCopy();
        breakIt.accept(broken);
        List<String> problems = KubernetesApi.problems(broken);
        assertTrue(problems.stream().anyMatch(p -> p.contains(named)),
                () -> Rendered.describe(valid) + ": expected a problem naming '" + named + "', got " + problems);
    }

    private static void assertValid(Rendered rendered) {
        List<String> problems = new ArrayList<>();
        for (JsonNode object : rendered.objects()) {
            problems.addAll(KubernetesApi.problems(object));
        }
        assertEquals(List.of(), problems);
        assertTrue(rendered.objects().size() > 0);
    }
}

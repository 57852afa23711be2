package io.moemesh.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Each service's Dockerfile agrees with how the chart runs its image: the port, the user, the JVM options. (The
 * integration test then runs the Dockerfile's ENTRYPOINT with the chart's environment for real.)
 */
class DockerfileTest {
    static final List<String> MODULES = Repo.SERVICE_MODULES;
    /** Which Deployment of the chart runs each module's image. */
    static final Map<String, String> DEPLOYMENT = Map.of(
            "gateway", "moe-mesh-gateway",
            "router-service", "moe-mesh-router",
            "expert-service", "moe-mesh-expert-g0",
            "attention-service", "moe-mesh-attention");

    @TempDir
    Path tmp;

    @ParameterizedTest
    @FieldSource("MODULES")
    void imageAndChartAgree(String module) {
        Dockerfile docker = Dockerfile.of(module);
        Rendered r = HelmChart.template(Repo.DEMO_VALUES, "attention: {enabled: true}", tmp);
        JsonNode deployment = r.get("Deployment", DEPLOYMENT.get(module));
        JsonNode container = Rendered.container(deployment);
        String what = docker.path() + " vs " + Rendered.describe(deployment);

        assertTrue(docker.from().startsWith("eclipse-temurin:25-jre"), what + ": FROM " + docker.from());
        // The chart's image for this Deployment is the module's ("moe-mesh-<module>" is the tag the Dockerfile documents).
        assertTrue(container.path("image").asText().startsWith("moe-mesh-" + module + ":"), what + ": image " + container.path("image"));

        int port = Rendered.containerPort(container, Rendered.textNode("http"));
        assertEquals(List.of(port), docker.exposed(), what + ": EXPOSE");

        assertTrue(docker.user() != null && docker.user().matches("\\d+(:\\d+)?"),
                what + ": USER must be numeric so that the kubelet can check runAsNonRoot, got " + docker.user());
        int uid = Integer.parseInt(docker.user().split(":")[0]);
        assertNotEquals(0, uid, what + ": runs as root");
        JsonNode pod = deployment.at("/spec/template/spec/securityContext");
        assertTrue(pod.path("runAsNonRoot").asBoolean(), what);
        assertEquals(uid, pod.path("runAsUser").asInt(), what + ": the pod's runAsUser is the image's user");

        // The options the chart treats as required (the "--" module options it puts first in JAVA_OPTS_APPEND) are in
        // the image's own JAVA_OPTS as well, so the image runs without the chart too.
        List<String> required = Arrays.stream(Rendered.envValue(container, "JAVA_OPTS_APPEND").split("\\s+"))
                .filter(o -> o.startsWith("--")).toList();
        assertTrue(required.contains("--add-modules=jdk.incubator.vector"), what + ": " + required);
        List<String> imageOptions = List.of(docker.env().getOrDefault("JAVA_OPTS", "").split("\\s+"));
        assertTrue(imageOptions.containsAll(required), what + ": JAVA_OPTS " + imageOptions + " lacks some of " + required);

        // The ENTRYPOINT hands both variables to java and runs the fast-jar where the COPY lines put it.
        String command = String.join(" ", docker.entrypoint());
        assertTrue(command.contains("$JAVA_OPTS ") && command.contains("$JAVA_OPTS_APPEND"), what + ": ENTRYPOINT " + command);
        String jar = docker.workdir() + "/quarkus-run.jar";
        assertTrue(command.contains("-jar " + jar) || command.contains("-jar quarkus-run.jar"), what + ": ENTRYPOINT " + command);
        List<String> sources = docker.copies().stream().map(c -> String.join(" ", c.subList(0, c.size() - 1))).toList();
        assertEquals(List.of("target/quarkus-app/lib/", "target/quarkus-app/*.jar", "target/quarkus-app/app/", "target/quarkus-app/quarkus/"),
                sources, what + ": the fast-jar's four layers, dependencies first");
        assertTrue(docker.copies().stream().allMatch(c -> c.getLast().startsWith(docker.workdir())), what + ": " + docker.copies());
    }
}

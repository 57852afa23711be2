package io.moemesh.deploy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Where the deployment files live in the repository this module is part of. */
final class Repo {
    static final Path ROOT = locate();
    static final Path CHART = ROOT.resolve("helm/moe-mesh");
    static final Path EXAMPLES = CHART.resolve("examples");
    static final Path K8S = ROOT.resolve("k8s");
    /** The plain manifests: the chart rendered with the demo values. */
    static final Path K8S_DEMO = K8S.resolve("moe-mesh-demo.yaml");
    static final Path DEMO_VALUES = EXAMPLES.resolve("demo-one-pod.yaml");
    /** The values files the chart ships; every test over "each example" takes them from here. */
    static final List<String> EXAMPLE_FILES = List.of("demo-one-pod.yaml", "qwen3-30b-a3b-4groups.yaml",
            "qwen3-235b-a22b-16groups.yaml");
    /** The service modules, each with its src/main/docker/Dockerfile and packaged target/quarkus-app. */
    static final List<String> SERVICE_MODULES = List.of("gateway", "router-service", "expert-service", "attention-service");

    private Repo() {
    }

    static Path dockerfile(String module) {
        return ROOT.resolve(module).resolve("src/main/docker/Dockerfile");
    }

    static Path quarkusApp(String module) {
        return ROOT.resolve(module).resolve("target/quarkus-app");
    }

    private static Path locate() {
        // Surefire and failsafe run in the module's directory and say so in "basedir".
        Path dir = Path.of(System.getProperty("basedir", "")).toAbsolutePath();
        for (Path p = dir; p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("helm/moe-mesh")) && Files.isRegularFile(p.resolve("pom.xml"))) {
                return p;
            }
        }
        throw new IllegalStateException("no helm/moe-mesh above " + dir);
    }
}

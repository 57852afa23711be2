package io.moemesh.deploy;

import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The chart in helm/moe-mesh, through the Helm library that helm-java bundles (Helm 3.21, no helm binary needed).
 * Values are YAML files, as a user passes them with -f.
 */
final class HelmChart {
    /** The release name the plain manifests in k8s/ are rendered with. */
    static final String RELEASE = "moe-mesh";
    /**
     * The Kubernetes version renders are made for: the one the API models of {@link KubernetesApi} come from.
     * (helm-java's library build would otherwise assume 1.20, below the chart's kubeVersion.)
     */
    static final String KUBE_VERSION = "1.35.0";
    /** Duplicate keys are errors, as they are for the API server's strict decoding. */
    static final YAMLMapper YAML = YAMLMapper.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

    private HelmChart() {
    }

    /** {@code helm template moe-mesh helm/moe-mesh -f FILE...}; throws IllegalStateException with Helm's message. */
    static Rendered template(Path... valuesFiles) {
        var command = new Helm(Repo.CHART).template().withName(RELEASE).withKubeVersion(KUBE_VERSION);
        for (Path f : valuesFiles) {
            command = command.withValuesFile(f);
        }
        return Rendered.parse(command.call());
    }

    /** Renders with the given example file plus overrides (a YAML tree merged on top, as a second -f would be). */
    static Rendered template(Path example, String overridesYaml, Path tempDir) {
        return template(example, write(tempDir, overridesYaml));
    }

    /**
     * {@code helm lint --strict -f FILE}. helm-java's lint takes no values file, so this lints a copy of the chart
     * whose values.yaml is the chart's merged with the file the way Helm merges them ({@link #merge}).
     */
    static LintResult lintStrict(Path valuesFile, Path tempDir) {
        Path copy = tempDir.resolve("moe-mesh");
        copyTree(Repo.CHART, copy);
        try {
            YAML.writeValue(copy.resolve("values.yaml").toFile(), values(valuesFile));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new Helm(copy).lint().strict().call();
    }

    /** The values a render sees: the chart's values.yaml with the given files merged on top, in order. */
    static ObjectNode values(Path... valuesFiles) {
        ObjectNode merged = (ObjectNode) read(Repo.CHART.resolve("values.yaml"));
        for (Path f : valuesFiles) {
            merge(merged, read(f));
        }
        return merged;
    }

    /**
     * Helm's coalescing of a user's values into the chart's: maps merge key by key, anything else (lists included)
     * replaces, and null deletes the key.
     */
    static void merge(ObjectNode into, JsonNode from) {
        if (from == null || from.isNull() || from.isMissingNode()) {
            return;
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = from.properties().iterator(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode current = into.get(e.getKey());
            if (e.getValue().isNull()) {
                into.remove(e.getKey());
            } else if (current instanceof ObjectNode currentObject && e.getValue().isObject()) {
                merge(currentObject, e.getValue());
            } else {
                into.set(e.getKey(), e.getValue().deepCopy());
            }
        }
    }

    static JsonNode read(Path yamlFile) {
        try {
            return YAML.readTree(yamlFile.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Path write(Path dir, String yaml) {
        try {
            Path f = Files.createTempFile(dir, "values-", ".yaml");
            Files.writeString(f, yaml);
            return f;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void copyTree(Path from, Path to) {
        try (Stream<Path> files = Files.walk(from)) {
            List<Path> all = new ArrayList<>(files.toList());
            for (Path p : all) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

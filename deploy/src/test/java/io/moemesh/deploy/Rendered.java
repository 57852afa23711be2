package io.moemesh.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The objects of one {@code helm template} output, in order. */
record Rendered(String yaml, List<ObjectNode> objects) {

    static Rendered parse(String yaml) {
        List<ObjectNode> objects = new ArrayList<>();
        try (MappingIterator<JsonNode> docs = HelmChart.YAML.readerFor(JsonNode.class).readValues(yaml)) {
            while (docs.hasNext()) {
                JsonNode doc = docs.next();
                if (doc == null || doc.isNull() || doc.isMissingNode() || doc.isEmpty()) {
                    continue;   // a template that rendered nothing, or only comments
                }
                if (!(doc instanceof ObjectNode o)) {
                    throw new IllegalStateException("a rendered document is not an object: " + doc);
                }
                objects.add(o);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("the rendered chart is not YAML", e);
        }
        return new Rendered(yaml, List.copyOf(objects));
    }

    List<ObjectNode> ofKind(String kind) {
        return objects.stream().filter(o -> kind.equals(o.path("kind").asText())).toList();
    }

    Optional<ObjectNode> find(String kind, String name) {
        return ofKind(kind).stream().filter(o -> name.equals(name(o))).findFirst();
    }

    ObjectNode get(String kind, String name) {
        return find(kind, name).orElseThrow(() -> new AssertionError("no " + kind + " " + name + " rendered; there are "
                + objects.stream().map(Rendered::describe).toList()));
    }

    static String name(JsonNode object) {
        return object.path("metadata").path("name").asText();
    }

    static String describe(JsonNode object) {
        return object.path("kind").asText() + "/" + name(object);
    }

    /** The single container of a Deployment's pod template. */
    static JsonNode container(JsonNode deployment) {
        JsonNode containers = deployment.path("spec").path("template").path("spec").path("containers");
        if (containers.size() != 1) {
            throw new AssertionError(describe(deployment) + " has " + containers.size() + " containers, expected one");
        }
        return containers.get(0);
    }

    /** A container's plain env entries (name -> value); entries with valueFrom are left out. */
    static Map<String, String> env(JsonNode container) {
        Map<String, String> env = new LinkedHashMap<>();
        for (JsonNode e : container.path("env")) {
            if (e.has("value")) {
                env.put(e.path("name").asText(), e.path("value").asText());
            }
        }
        return env;
    }

    static Optional<JsonNode> envEntry(JsonNode container, String name) {
        for (JsonNode e : container.path("env")) {
            if (name.equals(e.path("name").asText())) {
                return Optional.of(e);
            }
        }
        return Optional.empty();
    }

    static String envValue(JsonNode container, String name) {
        return envEntry(container, name).map(e -> e.path("value").asText())
                .orElseThrow(() -> new AssertionError("container " + container.path("name").asText() + " has no env " + name));
    }

    /** The container port a probe or Service names (by name or number). */
    static int containerPort(JsonNode container, JsonNode portRef) {
        if (portRef.isInt()) {
            return portRef.asInt();
        }
        for (JsonNode p : container.path("ports")) {
            if (portRef.asText().equals(p.path("name").asText())) {
                return p.path("containerPort").asInt();
            }
        }
        throw new AssertionError("container " + container.path("name").asText() + " has no port named " + portRef.asText());
    }

    /** Whether a label selector (matchLabels map) selects an object with these labels. */
    static boolean selects(JsonNode matchLabels, JsonNode labels) {
        if (matchLabels.isEmpty()) {
            return false;   // an empty selector would select everything: never what this chart means
        }
        for (Map.Entry<String, JsonNode> e : matchLabels.properties()) {
            if (!e.getValue().asText().equals(labels.path(e.getKey()).asText(null))) {
                return false;
            }
        }
        return true;
    }

    static JsonNode textNode(String text) {
        return TextNode.valueOf(text);
    }

    static JsonNode podLabels(JsonNode deployment) {
        return deployment.path("spec").path("template").path("metadata").path("labels");
    }
}

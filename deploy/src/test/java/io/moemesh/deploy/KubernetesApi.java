package io.moemesh.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.gson.annotations.SerializedName;
import io.fabric8.openshift.api.model.monitoring.v1.ServiceMonitor;
import io.kubernetes.client.custom.IntOrString;
import io.kubernetes.client.custom.Quantity;
import io.kubernetes.client.openapi.JSON;
import io.kubernetes.client.openapi.models.V1ConfigMap;
import io.kubernetes.client.openapi.models.V1Deployment;
import io.kubernetes.client.openapi.models.V1PodDisruptionBudget;
import io.kubernetes.client.openapi.models.V1Secret;
import io.kubernetes.client.openapi.models.V1Service;
import io.kubernetes.client.openapi.models.V2HorizontalPodAutoscaler;

import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Validates rendered objects offline against the Kubernetes API's own models, strictly: an unknown field anywhere is
 * an error, as it is for {@code kubectl apply} (strict field validation is its default).
 *
 * <p>Built-in kinds are checked against the Kubernetes Java client's models (io.kubernetes:client-java-api, generated
 * from the Kubernetes API's OpenAPI spec): each model lists its properties and its required ones, and its fields have
 * the spec's types. Walking the JSON along them finds unknown fields, missing required ones and wrong types (a number
 * where the API wants a string, as an unquoted env value would be), with the path of each. Then the client's own
 * deserializer parses it, which also checks quantities, base64 data and int-or-string ports.
 *
 * <p>The ServiceMonitor goes through fabric8's model of prometheus-operator's CRD (io.fabric8:openshift-model-monitoring,
 * generated from the operator's CRDs), whose unknown fields land in "additionalProperties" maps: any non-empty one is an
 * unknown field.
 */
final class KubernetesApi {
    /** The kinds this chart renders, by "apiVersion/kind". A kind not listed here fails validation. */
    private static final Map<String, Class<?>> BUILT_IN = Map.of(
            "apps/v1/Deployment", V1Deployment.class,
            "v1/Service", V1Service.class,
            "v1/Secret", V1Secret.class,
            "v1/ConfigMap", V1ConfigMap.class,
            "autoscaling/v2/HorizontalPodAutoscaler", V2HorizontalPodAutoscaler.class,
            "policy/v1/PodDisruptionBudget", V1PodDisruptionBudget.class);
    private static final String SERVICE_MONITOR = "monitoring.coreos.com/v1/ServiceMonitor";
    private static final ObjectMapper FABRIC8 = new ObjectMapper();

    private KubernetesApi() {
    }

    /** The problems of one object, each "Kind/name: path: what"; empty when it is valid. */
    static List<String> problems(JsonNode object) {
        String type = object.path("apiVersion").asText() + "/" + object.path("kind").asText();
        List<String> problems = new ArrayList<>();
        if (Rendered.name(object).isEmpty()) {
            problems.add("metadata.name: required");
        }
        Class<?> model = BUILT_IN.get(type);
        if (model != null) {
            walk(object, model, "", problems);
            if (problems.isEmpty()) {
                try {
                    JSON.deserialize(object.toString(), model);
                } catch (RuntimeException e) {
                    problems.add(message(e));
                }
            }
        } else if (SERVICE_MONITOR.equals(type)) {
            try {
                ServiceMonitor monitor = FABRIC8.treeToValue(object, ServiceMonitor.class);
                unknownFields(monitor, "", problems, Collections.newSetFromMap(new IdentityHashMap<>()));
                if (monitor.getSpec() == null || monitor.getSpec().getSelector() == null) {
                    problems.add("spec.selector: required");
                }
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                problems.add(e.getOriginalMessage());
            }
        } else {
            problems.add("kind " + type + " is not one this chart is known to render; teach KubernetesApi its model");
        }
        return problems.stream().map(p -> Rendered.describe(object) + ": " + p).toList();
    }

    /** Checks {@code node} against the model type {@code type} (a client-java model, a collection or a scalar). */
    private static void walk(JsonNode node, Type type, String path, List<String> problems) {
        if (node.isNull()) {
            return;   // the API treats null as absent
        }
        Class<?> raw = raw(type);
        String at = path.isEmpty() ? "(object)" : path.substring(1);
        if (raw == String.class || raw == OffsetDateTime.class || raw.isEnum()) {
            expect(node.isTextual(), at, "a string", node, problems);
        } else if (raw == Integer.class || raw == Long.class || raw == int.class || raw == long.class) {
            expect(node.isIntegralNumber(), at, "an integer", node, problems);
        } else if (raw == Boolean.class || raw == boolean.class) {
            expect(node.isBoolean(), at, "a boolean", node, problems);
        } else if (Number.class.isAssignableFrom(raw) || raw == double.class || raw == float.class) {
            expect(node.isNumber(), at, "a number", node, problems);
        } else if (raw == IntOrString.class) {
            expect(node.isIntegralNumber() || node.isTextual(), at, "an integer or a string", node, problems);
        } else if (raw == Quantity.class) {
            if (expect(node.isTextual() || node.isNumber(), at, "a quantity", node, problems)) {
                try {
                    Quantity.fromString(node.asText());
                } catch (RuntimeException e) {
                    problems.add(at + ": '" + node.asText() + "' is not a quantity (" + e.getMessage() + ")");
                }
            }
        } else if (raw == byte[].class) {
            if (expect(node.isTextual(), at, "base64 data", node, problems)) {
                try {
                    Base64.getDecoder().decode(node.asText());
                } catch (IllegalArgumentException e) {
                    problems.add(at + ": not base64");
                }
            }
        } else if (List.class.isAssignableFrom(raw)) {
            if (expect(node.isArray(), at, "an array", node, problems)) {
                for (int i = 0; i < node.size(); i++) {
                    walk(node.get(i), typeArgument(type, 0), path + "[" + i + "]", problems);
                }
            }
        } else if (Map.class.isAssignableFrom(raw)) {
            if (expect(node.isObject(), at, "an object", node, problems)) {
                for (var e : node.properties()) {
                    walk(e.getValue(), typeArgument(type, 1), path + "." + e.getKey(), problems);
                }
            }
        } else if (raw == Object.class) {
            // free-form (e.g. a CRD's raw JSON): anything goes
        } else if (isModel(raw)) {
            if (expect(node.isObject(), at, "an object (" + raw.getSimpleName() + ")", node, problems)) {
                model(node, raw, path, problems);
            }
        } else {
            problems.add(at + ": no rule to check a " + raw.getName() + "; teach KubernetesApi");
        }
    }

    private static void model(JsonNode node, Class<?> model, String path, List<String> problems) {
        Set<String> properties = staticSet(model, "openapiFields");
        for (var e : node.properties()) {
            if (!properties.contains(e.getKey())) {
                problems.add(path.substring(path.isEmpty() ? 0 : 1) + (path.isEmpty() ? "" : ".") + e.getKey()
                        + ": unknown field (not a property of " + model.getSimpleName() + ")");
            }
        }
        for (String required : staticSet(model, "openapiRequiredFields")) {
            if (!node.has(required) || node.get(required).isNull()) {
                problems.add((path.isEmpty() ? "" : path.substring(1) + ".") + required + ": required by " + model.getSimpleName());
            }
        }
        for (Field f : model.getDeclaredFields()) {
            SerializedName name = f.getAnnotation(SerializedName.class);
            if (name != null && !Modifier.isStatic(f.getModifiers()) && node.has(name.value())) {
                walk(node.get(name.value()), f.getGenericType(), path + "." + name.value(), problems);
            }
        }
    }

    private static boolean expect(boolean ok, String at, String what, JsonNode got, List<String> problems) {
        if (!ok) {
            problems.add(at + ": expected " + what + ", got " + got.getNodeType().name().toLowerCase() + " " + abbreviate(got.toString()));
        }
        return ok;
    }

    private static boolean isModel(Class<?> c) {
        try {
            return Modifier.isStatic(c.getField("openapiFields").getModifiers());
        } catch (NoSuchFieldException e) {
            return false;
        }
    }

    @SuppressWarnings("unchecked")
    private static Set<String> staticSet(Class<?> model, String field) {
        try {
            return (Set<String>) model.getField(field).get(null);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(model + " has no " + field, e);
        }
    }

    private static Class<?> raw(Type type) {
        return type instanceof ParameterizedType p ? (Class<?>) p.getRawType() : (Class<?>) type;
    }

    private static Type typeArgument(Type type, int index) {
        return type instanceof ParameterizedType p ? p.getActualTypeArguments()[index] : Object.class;
    }

    /** The generated deserializers append the whole JSON to their messages; the first part is what matters. */
    private static String message(Throwable e) {
        String m = null;
        for (Throwable t = e; t != null && m == null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof IllegalArgumentException || t.getCause() == null) {
                m = t.getMessage();
            }
        }
        m = String.valueOf(m != null ? m : e.getMessage());
        int json = m.indexOf(" JSON: ");
        return abbreviate(json > 0 ? m.substring(0, json) : m);
    }

    private static String abbreviate(String s) {
        return s.length() > 200 ? s.substring(0, 200) + "…" : s;
    }

    /** Walks a fabric8 model: every object's additionalProperties holds the fields its schema does not know. */
    private static void unknownFields(Object node, String path, List<String> problems, Set<Object> seen) {
        if (node == null || !seen.add(node)) {
            return;
        }
        if (node instanceof List<?> list) {
            for (int i = 0; i < list.size(); i++) {
                unknownFields(list.get(i), path + "[" + i + "]", problems, seen);
            }
            return;
        }
        if (node instanceof Map<?, ?> map) {
            map.forEach((k, v) -> unknownFields(v, path + "." + k, problems, seen));
            return;
        }
        if (!node.getClass().getPackageName().startsWith("io.fabric8")) {
            return;
        }
        for (Method m : node.getClass().getMethods()) {
            if (m.getParameterCount() != 0 || Modifier.isStatic(m.getModifiers()) || !m.getName().startsWith("get")
                    || m.getDeclaringClass() == Object.class) {
                continue;
            }
            Object value;
            try {
                value = m.invoke(node);
            } catch (IllegalAccessException | InvocationTargetException e) {
                continue;
            }
            if (m.getName().equals("getAdditionalProperties")) {
                if (value instanceof Map<?, ?> extra) {
                    for (Object key : extra.keySet()) {
                        problems.add((path.isEmpty() ? "" : path.substring(1) + ".") + key + ": unknown field (not in the "
                                + node.getClass().getSimpleName() + " schema)");
                    }
                }
            } else {
                String property = Character.toLowerCase(m.getName().charAt(3)) + m.getName().substring(4);
                unknownFields(value, path + "." + property, problems, seen);
            }
        }
    }
}

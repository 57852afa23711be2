package io.moemesh.gateway.api;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Typed reads of a request body's fields, each failing with a 400 that names the field and what it must be:
 * hand-written so that a wrong type reads "'temperature' must be a number, got a string" rather than a
 * deserializer's stack of class names. Absent and null fields are "not given".
 */
final class JsonFields {
    private final JsonNode body;

    JsonFields(JsonNode body) {
        if (body == null || !body.isObject()) {
            throw ApiException.invalid(null, "the request body must be a JSON object");
        }
        this.body = body;
    }

    JsonNode node() {
        return body;
    }

    boolean has(String name) {
        JsonNode v = body.get(name);
        return v != null && !v.isNull();
    }

    Optional<JsonNode> get(String name) {
        return has(name) ? Optional.of(body.get(name)) : Optional.empty();
    }

    Optional<Double> number(String name) {
        return get(name).map(v -> {
            if (!v.isNumber()) {
                throw wrongType(name, "a number", v);
            }
            return v.asDouble();
        });
    }

    Optional<Integer> integer(String name) {
        return get(name).map(v -> {
            if (!v.isIntegralNumber() && !(v.isNumber() && v.asDouble() == Math.rint(v.asDouble()))) {
                throw wrongType(name, "an integer", v);
            }
            if (!v.canConvertToInt()) {
                throw ApiException.invalid(name, "'" + name + "' is out of range: " + v);
            }
            return v.asInt();
        });
    }

    Optional<Long> longInteger(String name) {
        return get(name).map(v -> {
            if (!v.isIntegralNumber() || !v.canConvertToLong()) {
                throw wrongType(name, "an integer", v);
            }
            return v.asLong();
        });
    }

    Optional<Boolean> bool(String name) {
        return get(name).map(v -> {
            if (!v.isBoolean()) {
                throw wrongType(name, "a boolean", v);
            }
            return v.asBoolean();
        });
    }

    Optional<String> string(String name) {
        return get(name).map(v -> {
            if (!v.isTextual()) {
                throw wrongType(name, "a string", v);
            }
            return v.asText();
        });
    }

    Optional<JsonFields> object(String name) {
        return get(name).map(v -> {
            if (!v.isObject()) {
                throw wrongType(name, "an object", v);
            }
            return new JsonFields(v);
        });
    }

    /** A string or an array of strings (OpenAI's {@code stop}), as a list. */
    List<String> strings(String name) {
        return get(name).map(v -> {
            List<String> out = new ArrayList<>();
            if (v.isTextual()) {
                out.add(v.asText());
            } else if (v.isArray()) {
                for (JsonNode item : v) {
                    if (!item.isTextual()) {
                        throw wrongType(name, "a string or an array of strings", v);
                    }
                    out.add(item.asText());
                }
            } else {
                throw wrongType(name, "a string or an array of strings", v);
            }
            return out;
        }).orElse(List.of());
    }

    static ApiException wrongType(String name, String expected, JsonNode got) {
        return ApiException.invalid(name, "'" + name + "' must be " + expected + ", got " + describe(got));
    }

    private static String describe(JsonNode v) {
        return switch (v.getNodeType()) {
            case STRING -> "a string";
            case NUMBER -> "the number " + v;
            case BOOLEAN -> "a boolean";
            case ARRAY -> "an array";
            case OBJECT -> "an object";
            default -> v.getNodeType().toString().toLowerCase(java.util.Locale.ROOT);
        };
    }
}

package io.moemesh.core.chat;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Converts caller-supplied Java values (and Jackson trees) into the interpreter's value model, deep
 * and by copy: integers become Long, other numbers Double, maps LinkedHashMap (order kept, as
 * Python dicts and json.dumps keep it), collections and arrays ArrayList. Copying also means a
 * template's {@code append} never mutates the caller's messages.
 */
final class Values {

    private Values() {
    }

    static Object fromJava(Object v) {
        if (v == null || v instanceof String || v instanceof Boolean || v instanceof Long || v instanceof Double) {
            return v;
        }
        if (v instanceof Integer || v instanceof Short || v instanceof Byte) {
            return ((Number) v).longValue();
        }
        if (v instanceof BigInteger b) {
            return b.bitLength() < 64 ? (Object) b.longValue() : b;
        }
        if (v instanceof Float f) {
            return Double.parseDouble(f.toString()); // 0.1f is 0.1 to whoever wrote it
        }
        if (v instanceof BigDecimal d) {
            return d.doubleValue();
        }
        if (v instanceof CharSequence || v instanceof Character) {
            return v.toString();
        }
        if (v instanceof Enum<?> e) {
            return e.name();
        }
        if (v instanceof JsonNode node) {
            return fromJson(node);
        }
        if (v instanceof Map<?, ?> m) {
            Map<Object, Object> out = new LinkedHashMap<>();
            m.forEach((k, val) -> out.put(fromJava(k), fromJava(val)));
            return out;
        }
        if (v instanceof PyTuple) {
            return v;
        }
        if (v instanceof Collection<?> c) {
            List<Object> out = new ArrayList<>(c.size());
            for (Object o : c) {
                out.add(fromJava(o));
            }
            return out;
        }
        if (v instanceof Object[] array) {
            return fromJava(java.util.Arrays.asList(array));
        }
        return v;
    }

    static Object fromJson(JsonNode node) {
        if (node == null || node.isNull() || node.isMissingNode()) {
            return null;
        }
        if (node.isTextual()) {
            return node.textValue();
        }
        if (node.isBoolean()) {
            return node.booleanValue();
        }
        if (node.isIntegralNumber()) {
            return fromJava(node.bigIntegerValue());
        }
        if (node.isNumber()) {
            return node.doubleValue();
        }
        if (node.isArray()) {
            List<Object> out = new ArrayList<>(node.size());
            node.forEach(child -> out.add(fromJson(child)));
            return out;
        }
        if (node.isObject()) {
            Map<Object, Object> out = new LinkedHashMap<>();
            for (Map.Entry<String, JsonNode> e : node.properties()) {
                out.put(e.getKey(), fromJson(e.getValue()));
            }
            return out;
        }
        return node.asText();
    }
}

package io.moemesh.core.chat;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The object {@code namespace(...)} returns: the one thing a template may assign attributes on
 * ({@code {% set ns.found = true %}}), which is how templates carry state out of a for loop, whose
 * own {@code set}s do not survive it.
 */
final class Namespace {

    private final Map<String, Object> attributes = new LinkedHashMap<>();

    Map<String, Object> attributes() {
        return attributes;
    }

    boolean has(String name) {
        return attributes.containsKey(name);
    }

    Object get(String name) {
        return attributes.get(name);
    }

    void set(String name, Object value) {
        attributes.put(name, value);
    }
}

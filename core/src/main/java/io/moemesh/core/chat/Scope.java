package io.moemesh.core.chat;

import java.util.HashMap;
import java.util.Map;

/**
 * One frame of variables. Frames chain to their parent and lookups walk the chain, but assignments
 * always land in the innermost frame. That is jinja2's scoping in the shape templates rely on:
 * a {@code set} inside a for-loop body, macro, call block, with block, filter block or block set stays
 * there (hence {@code namespace()}), while {@code if} opens no frame. Each loop iteration gets a
 * fresh frame, as jinja2 re-reads outer values at the start of every iteration.
 */
final class Scope {

    private final Scope parent;
    private final Map<String, Object> vars = new HashMap<>();

    Scope(Scope parent) {
        this.parent = parent;
    }

    Scope child() {
        return new Scope(this);
    }

    Object resolve(String name) {
        for (Scope s = this; s != null; s = s.parent) {
            Object v = s.vars.get(name);
            if (v != null || s.vars.containsKey(name)) {
                return v;
            }
        }
        return Undefined.name(name);
    }

    void set(String name, Object value) {
        vars.put(name, value);
    }
}

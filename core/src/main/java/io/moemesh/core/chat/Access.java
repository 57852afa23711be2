package io.moemesh.core.chat;

import java.util.List;
import java.util.Map;

/**
 * jinja2's (sandboxed) attribute and item lookup, whose asymmetry templates depend on:
 * {@code obj.name} tries the Python attribute first and then the item, {@code obj['name']} the item
 * first and then the attribute. So {@code tool.items} on a dict is the {@code items} method even if
 * the dict has an "items" key, while {@code tool['items']} is the key. Whatever is not found is
 * {@link Undefined}; looking into an undefined value is an error.
 */
final class Access {

    private Access() {
    }

    static Object getattr(Object obj, String name) {
        if (obj instanceof Undefined u) {
            throw u.error();
        }
        if (obj instanceof Namespace ns) {
            return ns.has(name) ? ns.get(name) : Undefined.attribute(obj, name);
        }
        if (obj instanceof LoopContext loop) {
            return loop.attribute(name);
        }
        if (Methods.has(obj, name)) {
            return new BoundMethod(obj, name);
        }
        if (obj instanceof Map<?, ?> m && m.containsKey(name)) {
            return m.get(name);
        }
        return Undefined.attribute(obj, name);
    }

    static Object getitem(Object obj, Object key) {
        if (obj instanceof Undefined u) {
            throw u.error();
        }
        if (obj instanceof Map<?, ?> m) {
            Object k = PyOps.findKey(m, key);
            if (k != PyOps.MISSING) {
                return m.get(k);
            }
        } else if (obj instanceof List<?> l && PyOps.isIntegral(key)) {
            long i = PyOps.toLong(key);
            if (i < 0) {
                i += l.size();
            }
            if (i >= 0 && i < l.size()) {
                return l.get((int) i);
            }
        } else if (obj instanceof String s && PyOps.isIntegral(key)) {
            String c = PyStrings.charAt(s, PyOps.toLong(key));
            if (c != null) {
                return c;
            }
        }
        if (key instanceof String name) {
            if (obj instanceof Namespace || obj instanceof LoopContext || Methods.has(obj, name)) {
                return getattr(obj, name);
            }
            return Undefined.attribute(obj, name);
        }
        return Undefined.element(obj, key);
    }
}

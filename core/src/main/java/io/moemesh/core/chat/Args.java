package io.moemesh.core.chat;

import java.util.List;
import java.util.Map;

/**
 * Binds call arguments to a Python-style signature, so filters and methods accept arguments the way
 * Python does: {@code tojson(indent=2)}, {@code split(',', 1)}, {@code default('x', true)}.
 */
final class Args {

    /** Marks a parameter without a default. */
    static final Object REQUIRED = new Object();

    private Args() {
    }

    /**
     * @param names parameter names in order
     * @param defaults one per name; {@link #REQUIRED} when the argument must be given
     * @return the bound values, in parameter order
     */
    static Object[] bind(String function, List<Object> args, Map<String, Object> kwargs,
                         String[] names, Object[] defaults) {
        if (args.size() > names.length) {
            throw new ChatTemplateException(function + "() takes at most " + names.length
                    + " argument" + (names.length == 1 ? "" : "s") + " (" + args.size() + " given)");
        }
        Object[] out = new Object[names.length];
        boolean[] set = new boolean[names.length];
        for (int i = 0; i < args.size(); i++) {
            out[i] = args.get(i);
            set[i] = true;
        }
        for (Map.Entry<String, Object> e : kwargs.entrySet()) {
            int idx = indexOf(names, e.getKey());
            if (idx < 0) {
                throw new ChatTemplateException(function + "() got an unexpected keyword argument '" + e.getKey() + "'");
            }
            if (set[idx]) {
                throw new ChatTemplateException(function + "() got multiple values for argument '" + e.getKey() + "'");
            }
            out[idx] = e.getValue();
            set[idx] = true;
        }
        for (int i = 0; i < names.length; i++) {
            if (!set[i]) {
                if (defaults[i] == REQUIRED) {
                    throw new ChatTemplateException(function + "() missing required argument '" + names[i] + "'");
                }
                out[i] = defaults[i];
            }
        }
        return out;
    }

    private static int indexOf(String[] names, String name) {
        for (int i = 0; i < names.length; i++) {
            if (names[i].equals(name)) {
                return i;
            }
        }
        return -1;
    }

    /** A string argument, or an error naming the function. */
    static String string(String function, Object v) {
        if (v instanceof String s) {
            return s;
        }
        if (v instanceof Undefined u) {
            throw u.error();
        }
        throw new ChatTemplateException(function + "() argument must be str, not " + PyOps.typeName(v));
    }

    /** A string argument that may be None. */
    static String optString(String function, Object v) {
        return v == null ? null : string(function, v);
    }

    /** An int argument that may be None (then null). */
    static Long optLong(Object v) {
        if (v == null) {
            return null;
        }
        if (v instanceof Undefined u) {
            throw u.error();
        }
        return PyOps.toLong(v);
    }
}

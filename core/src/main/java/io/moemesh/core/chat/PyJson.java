package io.moemesh.core.chat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Python's {@code json.dumps}, byte for byte, because transformers replaces jinja2's HTML-safe
 * {@code tojson} with {@code json.dumps(x, ensure_ascii=False, indent=indent, separators=separators,
 * sort_keys=sort_keys)} and tool schemas reach the model through it. Defaults that matter: item
 * separator {@code ", "} (or {@code ","} once indent is set), key separator {@code ": "}, insertion
 * order, non-ASCII written as is, floats as Python's repr, {@code NaN}/{@code Infinity} allowed.
 */
final class PyJson {

    private final boolean ensureAscii;
    private final String indent;
    private final String itemSeparator;
    private final String keySeparator;
    private final boolean sortKeys;

    private PyJson(boolean ensureAscii, String indent, String itemSeparator, String keySeparator, boolean sortKeys) {
        this.ensureAscii = ensureAscii;
        this.indent = indent;
        this.itemSeparator = itemSeparator;
        this.keySeparator = keySeparator;
        this.sortKeys = sortKeys;
    }

    /**
     * @param indent null, an integer (that many spaces) or a string
     * @param separators null or a two-item list/tuple (item separator, key separator)
     */
    static String dumps(Object value, boolean ensureAscii, Object indent, Object separators, boolean sortKeys) {
        String indentText = null;
        if (indent != null) {
            indentText = indent instanceof String s ? s : " ".repeat((int) Math.max(0, PyOps.toLong(indent)));
        }
        String itemSep = indentText == null ? ", " : ",";
        String keySep = ": ";
        if (separators != null) {
            if (!(separators instanceof List<?> l) || l.size() != 2
                    || !(l.get(0) instanceof String) || !(l.get(1) instanceof String)) {
                throw new ChatTemplateException("separators must be a (item_separator, key_separator) pair of strings");
            }
            itemSep = (String) l.get(0);
            keySep = (String) l.get(1);
        }
        StringBuilder sb = new StringBuilder();
        new PyJson(ensureAscii, indentText, itemSep, keySep, sortKeys).write(sb, value, 0);
        return sb.toString();
    }

    private void newline(StringBuilder sb, int level) {
        if (indent != null) {
            sb.append('\n').append(indent.repeat(level));
        }
    }

    private void write(StringBuilder sb, Object v, int level) {
        if (v == null) {
            sb.append("null");
        } else if (v instanceof String s) {
            writeString(sb, s);
        } else if (v instanceof Boolean b) {
            sb.append(b ? "true" : "false");
        } else if (v instanceof Double || v instanceof Float) {
            sb.append(floatText(((Number) v).doubleValue()));
        } else if (v instanceof Number) {
            sb.append(v);
        } else if (v instanceof List<?> list) {
            if (list.isEmpty()) {
                sb.append("[]");
                return;
            }
            sb.append('[');
            newline(sb, level + 1);
            for (int i = 0; i < list.size(); i++) {
                if (i > 0) {
                    sb.append(itemSeparator);
                    newline(sb, level + 1);
                }
                write(sb, list.get(i), level + 1);
            }
            newline(sb, level);
            sb.append(']');
        } else if (v instanceof Map<?, ?> map) {
            if (map.isEmpty()) {
                sb.append("{}");
                return;
            }
            List<Map.Entry<?, ?>> entries = new ArrayList<>(map.entrySet());
            if (sortKeys) {
                entries.sort((a, b) -> PyOps.compare(a.getKey(), b.getKey(), "<"));
            }
            sb.append('{');
            newline(sb, level + 1);
            boolean first = true;
            for (Map.Entry<?, ?> e : entries) {
                if (!first) {
                    sb.append(itemSeparator);
                    newline(sb, level + 1);
                }
                first = false;
                writeString(sb, keyText(e.getKey()));
                sb.append(keySeparator);
                write(sb, e.getValue(), level + 1);
            }
            newline(sb, level);
            sb.append('}');
        } else {
            throw new ChatTemplateException("Object of type " + PyOps.typeName(v) + " is not JSON serializable");
        }
    }

    private static String floatText(double d) {
        if (Double.isNaN(d)) {
            return "NaN";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? "Infinity" : "-Infinity";
        }
        return PyRepr.floatRepr(d);
    }

    /** JSON object keys: Python converts int, float, bool and None keys to their JSON spelling. */
    private static String keyText(Object key) {
        if (key instanceof String s) {
            return s;
        }
        if (key == null) {
            return "null";
        }
        if (key instanceof Boolean b) {
            return b ? "true" : "false";
        }
        if (key instanceof Double || key instanceof Float) {
            return floatText(((Number) key).doubleValue());
        }
        if (key instanceof Number) {
            return key.toString();
        }
        throw new ChatTemplateException("keys must be str, int, float, bool or None, not " + PyOps.typeName(key));
    }

    private void writeString(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                default -> {
                    // surrogate pairs come out as two \\u escapes, as Python writes non-BMP characters
                    if (c < 0x20 || (ensureAscii && c > 0x7e)) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }
}

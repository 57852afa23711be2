package io.moemesh.core.chat;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * jinja2's built-in filters, each written after its Python implementation in {@code jinja2/filters.py}
 * (argument names and defaults included, so keyword calls work), plus transformers' {@code tojson}.
 * Undefined input is handled the way each Python filter handles it: most see it as '' or an empty
 * sequence, {@code tojson} and arithmetic ones fail.
 */
final class Filters {

    @FunctionalInterface
    interface Filter {
        Object apply(Object value, List<Object> args, Map<String, Object> kwargs);
    }

    private static final Map<String, Filter> FILTERS = new HashMap<>();

    private Filters() {
    }

    static boolean exists(String name) {
        return FILTERS.containsKey(name);
    }

    static Object apply(String name, Object value, List<Object> args, Map<String, Object> kwargs) {
        Filter f = FILTERS.get(name);
        if (f == null) {
            throw new ChatTemplateException("No filter named '" + name + "'.");
        }
        return f.apply(value, args, kwargs);
    }

    private static void register(Filter f, String... names) {
        for (String name : names) {
            FILTERS.put(name, f);
        }
    }

    private static Object[] bind(String name, List<Object> args, Map<String, Object> kwargs, String[] names, Object... defaults) {
        return Args.bind(name, args, kwargs, names, defaults);
    }

    private static void noArgs(String name, List<Object> args, Map<String, Object> kwargs) {
        bind(name, args, kwargs, new String[0]);
    }

    /** jinja2's soft_str: str() of the value, '' for undefined. */
    private static String softStr(Object v) {
        return PyRepr.str(v);
    }

    /** jinja2's ignore_case postprocessor: lower-case strings, leave the rest. */
    private static Object ignoreCase(Object v) {
        return v instanceof String s ? PyStrings.lower(s) : v;
    }

    /**
     * jinja2's make_attrgetter: "a.b.0" looks up a, then b, then item 0 (environment.getitem, so item
     * first then attribute); a default replaces an undefined result.
     */
    static UnaryOperator<Object> attrGetter(Object attribute, UnaryOperator<Object> post, Object dflt) {
        List<Object> parts = new ArrayList<>();
        if (attribute instanceof String s) {
            for (String p : s.split("\\.", -1)) {
                parts.add(!p.isEmpty() && p.chars().allMatch(Character::isDigit) ? (Object) Long.parseLong(p) : p);
            }
        } else if (attribute != null) {
            parts.add(attribute);
        }
        return item -> {
            Object v = item;
            for (Object p : parts) {
                v = Access.getitem(v, p);
            }
            if (dflt != null && v instanceof Undefined) {
                v = dflt;
            }
            return post == null ? v : post.apply(v);
        };
    }

    /** jinja2's make_multi_attrgetter: "a,b" sorts by a then b; always yields a list key. */
    private static UnaryOperator<Object> multiAttrGetter(Object attribute, UnaryOperator<Object> post) {
        List<UnaryOperator<Object>> getters = new ArrayList<>();
        if (attribute instanceof String s) {
            for (String part : s.split(",")) {
                getters.add(attrGetter(part, post, null));
            }
        } else {
            getters.add(attrGetter(attribute, post, null));
        }
        return item -> {
            List<Object> key = new ArrayList<>();
            for (UnaryOperator<Object> g : getters) {
                key.add(g.apply(item));
            }
            return key;
        };
    }

    static {
        register((v, a, k) -> {
            Object[] p = bind("tojson", a, k, new String[] {"ensure_ascii", "indent", "separators", "sort_keys"},
                    false, null, null, false);
            return PyJson.dumps(v, PyOps.truthy(p[0]), p[1], p[2], PyOps.truthy(p[3]));
        }, "tojson");

        register((v, a, k) -> {
            noArgs("length", a, k);
            return PyOps.len(v);
        }, "length", "count");

        register((v, a, k) -> {
            Object[] p = bind("default", a, k, new String[] {"default_value", "boolean"}, "", false);
            return v instanceof Undefined || (PyOps.truthy(p[1]) && !PyOps.truthy(v)) ? p[0] : v;
        }, "default", "d");

        register((v, a, k) -> {
            String chars = Args.optString("trim", bind("trim", a, k, new String[] {"chars"}, (Object) null)[0]);
            return PyStrings.strip(softStr(v), chars);
        }, "trim");
        register((v, a, k) -> {
            noArgs("upper", a, k);
            return PyStrings.upper(softStr(v));
        }, "upper");
        register((v, a, k) -> {
            noArgs("lower", a, k);
            return PyStrings.lower(softStr(v));
        }, "lower");
        register((v, a, k) -> {
            noArgs("capitalize", a, k);
            return PyStrings.capitalize(softStr(v));
        }, "capitalize");
        register((v, a, k) -> {
            noArgs("title", a, k);
            return titleFilter(softStr(v));
        }, "title");
        register((v, a, k) -> {
            Object[] p = bind("replace", a, k, new String[] {"old", "new", "count"}, Args.REQUIRED, Args.REQUIRED, null);
            long count = p[2] == null ? -1 : PyOps.toLong(p[2]);
            return PyStrings.replace(softStr(v), softStr(p[0]), softStr(p[1]), count);
        }, "replace");
        register((v, a, k) -> {
            Object[] p = bind("center", a, k, new String[] {"width"}, 80L);
            return PyStrings.pad(softStr(v), PyOps.toLong(p[0]), " ", '^');
        }, "center");
        register((v, a, k) -> {
            noArgs("wordcount", a, k);
            return java.util.regex.Pattern.compile("[\\p{L}\\p{N}_]+").matcher(softStr(v)).results().count();
        }, "wordcount");
        register((v, a, k) -> {
            Object[] p = bind("indent", a, k, new String[] {"width", "first", "blank"}, 4L, false, false);
            return indent(v, p[0], PyOps.truthy(p[1]), PyOps.truthy(p[2]));
        }, "indent");
        register((v, a, k) -> {
            List<Object> p = a;
            if (!a.isEmpty() && !k.isEmpty()) {
                throw new ChatTemplateException("can't handle positional and keyword arguments at the same time");
            }
            return PyStrings.percentFormat(softStr(v), k.isEmpty() ? PyTuple.of(p) : new LinkedHashMap<>(k));
        }, "format");
        register((v, a, k) -> {
            noArgs("escape", a, k);
            return escape(v);
        }, "escape", "e", "forceescape");
        register((v, a, k) -> {
            noArgs("safe", a, k);
            return v;
        }, "safe");
        register((v, a, k) -> {
            noArgs("string", a, k);
            return softStr(v);
        }, "string");

        register((v, a, k) -> {
            Object[] p = bind("join", a, k, new String[] {"d", "attribute"}, "", null);
            List<Object> items = PyOps.iterate(v);
            UnaryOperator<Object> get = p[1] == null ? null : attrGetter(p[1], null, null);
            StringBuilder sb = new StringBuilder();
            String sep = softStr(p[0]);
            for (int i = 0; i < items.size(); i++) {
                if (i > 0) {
                    sb.append(sep);
                }
                sb.append(softStr(get == null ? items.get(i) : get.apply(items.get(i))));
            }
            return sb.toString();
        }, "join");
        register((v, a, k) -> {
            noArgs("first", a, k);
            List<Object> items = PyOps.iterate(v);
            return items.isEmpty() ? Undefined.hint("No first item, sequence was empty.") : items.get(0);
        }, "first");
        register((v, a, k) -> {
            noArgs("last", a, k);
            List<Object> items = PyOps.iterate(v);
            return items.isEmpty() ? Undefined.hint("No last item, sequence was empty.") : items.get(items.size() - 1);
        }, "last");
        register((v, a, k) -> {
            noArgs("reverse", a, k);
            if (v instanceof String s) {
                return PyStrings.slice(s, null, null, -1L);
            }
            return PyOps.reversed(PyOps.iterate(v));
        }, "reverse");
        register((v, a, k) -> {
            noArgs("list", a, k);
            return PyOps.iterate(v);
        }, "list");
        register((v, a, k) -> {
            noArgs("items", a, k);
            if (v instanceof Undefined) {
                return new ArrayList<>();
            }
            if (!(v instanceof Map<?, ?> m)) {
                throw new ChatTemplateException("Can only get item pairs from a mapping.");
            }
            List<Object> out = new ArrayList<>();
            m.forEach((key, val) -> out.add(PyTuple.of(key, val)));
            return out;
        }, "items");
        register((v, a, k) -> {
            Object[] p = bind("dictsort", a, k, new String[] {"case_sensitive", "by", "reverse"}, false, "key", false);
            if (!(v instanceof Map<?, ?> m)) {
                throw new ChatTemplateException("dictsort requires a mapping");
            }
            int pos = switch (softStr(p[1])) {
                case "key" -> 0;
                case "value" -> 1;
                default -> throw new ChatTemplateException("You can only sort by either \"key\" or \"value\"");
            };
            boolean caseSensitive = PyOps.truthy(p[0]);
            List<Object> pairs = new ArrayList<>();
            m.forEach((key, val) -> pairs.add(PyTuple.of(key, val)));
            return PyOps.sorted(pairs, item -> {
                Object x = ((PyTuple) item).get(pos);
                return caseSensitive ? x : ignoreCase(x);
            }, PyOps.truthy(p[2]));
        }, "dictsort");
        register((v, a, k) -> {
            Object[] p = bind("sort", a, k, new String[] {"reverse", "case_sensitive", "attribute"}, false, false, null);
            UnaryOperator<Object> key = multiAttrGetter(p[2], PyOps.truthy(p[1]) ? null : Filters::ignoreCase);
            return PyOps.sorted(PyOps.iterate(v), key, PyOps.truthy(p[0]));
        }, "sort");
        register((v, a, k) -> {
            Object[] p = bind("unique", a, k, new String[] {"case_sensitive", "attribute"}, false, null);
            UnaryOperator<Object> key = attrGetter(p[1], PyOps.truthy(p[0]) ? null : Filters::ignoreCase, null);
            List<Object> seen = new ArrayList<>();
            List<Object> out = new ArrayList<>();
            for (Object item : PyOps.iterate(v)) {
                Object kv = key.apply(item);
                if (seen.stream().noneMatch(s -> PyOps.eq(s, kv))) {
                    seen.add(kv);
                    out.add(item);
                }
            }
            return out;
        }, "unique");
        register((v, a, k) -> minOrMax("min", v, a, k), "min");
        register((v, a, k) -> minOrMax("max", v, a, k), "max");
        register((v, a, k) -> {
            Object[] p = bind("sum", a, k, new String[] {"attribute", "start"}, null, 0L);
            UnaryOperator<Object> get = p[0] == null ? x -> x : attrGetter(p[0], null, null);
            Object total = p[1];
            for (Object item : PyOps.iterate(v)) {
                total = PyOps.binary("+", total, get.apply(item));
            }
            return total;
        }, "sum");
        register((v, a, k) -> {
            Object[] p = bind("batch", a, k, new String[] {"linecount", "fill_with"}, Args.REQUIRED, null);
            long size = PyOps.toLong(p[0]);
            List<Object> out = new ArrayList<>();
            List<Object> tmp = new ArrayList<>();
            for (Object item : PyOps.iterate(v)) {
                if (tmp.size() == size) {
                    out.add(tmp);
                    tmp = new ArrayList<>();
                }
                tmp.add(item);
            }
            if (!tmp.isEmpty()) {
                if (p[1] != null) {
                    while (tmp.size() < size) {
                        tmp.add(p[1]);
                    }
                }
                out.add(tmp);
            }
            return out;
        }, "batch");

        register(Filters::map, "map");
        register((v, a, k) -> selectOrReject(v, a, k, false, true), "select");
        register((v, a, k) -> selectOrReject(v, a, k, false, false), "reject");
        register((v, a, k) -> selectOrReject(v, a, k, true, true), "selectattr");
        register((v, a, k) -> selectOrReject(v, a, k, true, false), "rejectattr");
        register((v, a, k) -> {
            String name = softStr(bind("attr", a, k, new String[] {"name"}, Args.REQUIRED)[0]);
            if (v instanceof Namespace || v instanceof LoopContext || Methods.has(v, name)) {
                return Access.getattr(v, name);
            }
            return Undefined.attribute(v, name); // attr() never looks at dict items
        }, "attr");

        register((v, a, k) -> {
            Object[] p = bind("int", a, k, new String[] {"default", "base"}, 0L, 10L);
            if (v instanceof Undefined u) {
                throw u.error(); // Undefined.__int__ raises, and do_int only catches TypeError/ValueError
            }
            return toInt(v, p[0], (int) PyOps.toLong(p[1]));
        }, "int");
        register((v, a, k) -> {
            Object[] p = bind("float", a, k, new String[] {"default"}, 0.0);
            if (v instanceof Undefined u) {
                throw u.error();
            }
            Double d = toFloat(v);
            return d == null ? p[0] : d;
        }, "float");
        register((v, a, k) -> {
            noArgs("abs", a, k);
            if (v instanceof Undefined u) {
                throw u.error();
            }
            if (PyOps.isIntegral(v)) {
                return Math.abs(PyOps.toLong(v));
            }
            if (v instanceof Double d) {
                return Math.abs(d);
            }
            throw new ChatTemplateException("bad operand type for abs(): '" + PyOps.typeName(v) + "'");
        }, "abs");
        register((v, a, k) -> {
            Object[] p = bind("round", a, k, new String[] {"precision", "method"}, 0L, "common");
            return round(v, (int) PyOps.toLong(p[0]), softStr(p[1]));
        }, "round");
    }

    /** jinja2's title filter (not str.title): capitalise after whitespace, '-', '(', '{', '[' or '<'. */
    private static String titleFilter(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        int i = 0;
        while (i < s.length()) {
            boolean sep = isTitleSeparator(s.codePointAt(i));
            int j = i;
            while (j < s.length() && isTitleSeparator(s.codePointAt(j)) == sep) {
                j += Character.charCount(s.codePointAt(j));
            }
            int firstLen = Character.charCount(s.codePointAt(i));
            sb.append(PyStrings.upper(s.substring(i, i + firstLen))).append(PyStrings.lower(s.substring(i + firstLen, j)));
            i = j;
        }
        return sb.toString();
    }

    private static boolean isTitleSeparator(int cp) {
        return cp == '-' || cp == '(' || cp == '{' || cp == '[' || cp == '<' || PyStrings.isSpace(cp);
    }

    private static Object indent(Object v, Object width, boolean first, boolean blank) {
        if (v instanceof Undefined u) {
            throw u.error();
        }
        if (!(v instanceof String text)) {
            // jinja2 starts with s += "\n", which only a str survives
            throw new ChatTemplateException("unsupported operand type(s) for +=: '" + PyOps.typeName(v) + "' and 'str'");
        }
        String indention = width instanceof String w ? w : " ".repeat((int) Math.max(0, PyOps.toLong(width)));
        String s = text + "\n"; // jinja2's quirk so that splitlines keeps a trailing empty line
        List<Object> lines = PyStrings.splitlines(s, false);
        StringBuilder rv = new StringBuilder();
        if (blank) {
            for (int i = 0; i < lines.size(); i++) {
                if (i > 0) {
                    rv.append('\n').append(indention);
                }
                rv.append(lines.get(i));
            }
        } else {
            rv.append(lines.get(0));
            for (int i = 1; i < lines.size(); i++) {
                String line = (String) lines.get(i);
                rv.append('\n');
                if (!line.isEmpty()) {
                    rv.append(indention);
                }
                rv.append(line);
            }
        }
        return first ? indention + rv : rv.toString();
    }

    /** markupsafe.escape: the five HTML-special characters. */
    static String escape(Object v) {
        String s = softStr(v);
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> sb.append("&amp;");
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '"' -> sb.append("&#34;");
                case '\'' -> sb.append("&#39;");
                default -> sb.append(c);
            }
        }
        return sb.toString();
    }

    private static Object minOrMax(String name, Object v, List<Object> a, Map<String, Object> k) {
        Object[] p = bind(name, a, k, new String[] {"case_sensitive", "attribute"}, false, null);
        List<Object> items = PyOps.iterate(v);
        if (items.isEmpty()) {
            return Undefined.hint("No aggregated item, sequence was empty.");
        }
        UnaryOperator<Object> key = attrGetter(p[1], PyOps.truthy(p[0]) ? null : Filters::ignoreCase, null);
        Object best = items.get(0);
        Object bestKey = key.apply(best);
        for (int i = 1; i < items.size(); i++) {
            Object kv = key.apply(items.get(i));
            int c = PyOps.compare(kv, bestKey, name.equals("min") ? "<" : ">");
            if (name.equals("min") ? c < 0 : c > 0) {
                best = items.get(i);
                bestKey = kv;
            }
        }
        return best;
    }

    private static Object map(Object v, List<Object> args, Map<String, Object> kwargs) {
        UnaryOperator<Object> func;
        if (args.isEmpty() && kwargs.containsKey("attribute")) {
            Map<String, Object> rest = new LinkedHashMap<>(kwargs);
            Object attribute = rest.remove("attribute");
            Object dflt = rest.remove("default");
            if (!rest.isEmpty()) {
                throw new ChatTemplateException("Unexpected keyword argument '" + rest.keySet().iterator().next() + "'");
            }
            func = attrGetter(attribute, null, dflt);
        } else {
            if (args.isEmpty()) {
                throw new ChatTemplateException("map requires a filter argument");
            }
            String filter = softStr(args.get(0));
            List<Object> rest = args.subList(1, args.size());
            if (!exists(filter)) {
                throw new ChatTemplateException("No filter named '" + filter + "'.");
            }
            func = item -> apply(filter, item, rest, kwargs);
        }
        List<Object> out = new ArrayList<>();
        if (PyOps.truthy(v)) {
            for (Object item : PyOps.iterate(v)) {
                out.add(func.apply(item));
            }
        }
        return out;
    }

    private static Object selectOrReject(Object v, List<Object> args, Map<String, Object> kwargs,
                                         boolean lookupAttr, boolean select) {
        UnaryOperator<Object> transform = x -> x;
        int off = 0;
        if (lookupAttr) {
            if (args.isEmpty()) {
                throw new ChatTemplateException("Missing parameter for attribute name");
            }
            transform = attrGetter(args.get(0), null, null);
            off = 1;
        }
        java.util.function.Predicate<Object> test;
        if (args.size() > off) {
            String name = softStr(args.get(off));
            List<Object> rest = args.subList(off + 1, args.size());
            if (!Tests.exists(name)) {
                throw new ChatTemplateException("No test named '" + name + "'.");
            }
            test = item -> Tests.apply(name, item, rest, kwargs);
        } else {
            test = PyOps::truthy;
        }
        List<Object> out = new ArrayList<>();
        if (PyOps.truthy(v)) {
            for (Object item : PyOps.iterate(v)) {
                if (test.test(transform.apply(item)) == select) {
                    out.add(item);
                }
            }
        }
        return out;
    }

    /** jinja2's do_int: int(x, base) for strings, int(x) otherwise, then int(float(x)), then the default. */
    private static Object toInt(Object v, Object dflt, int base) {
        if (v instanceof String s) {
            String t = PyStrings.strip(s, null).replace("_", "");
            try {
                int radix = base;
                if (base == 0 || base == 16 || base == 8 || base == 2) {
                    String lower = PyStrings.lower(t);
                    String digits = lower.startsWith("-") || lower.startsWith("+") ? lower.substring(1) : lower;
                    String sign = digits.length() < lower.length() ? lower.substring(0, 1) : "";
                    if (digits.startsWith("0x") && (base == 16 || base == 0)) {
                        t = sign + digits.substring(2);
                        radix = 16;
                    } else if (digits.startsWith("0o") && (base == 8 || base == 0)) {
                        t = sign + digits.substring(2);
                        radix = 8;
                    } else if (digits.startsWith("0b") && (base == 2 || base == 0)) {
                        t = sign + digits.substring(2);
                        radix = 2;
                    } else if (base == 0) {
                        radix = 10;
                    }
                }
                return Long.parseLong(t, radix);
            } catch (NumberFormatException ignored) {
                Double d = toFloat(v);
                return d == null || d.isNaN() || d.isInfinite() ? dflt : (Object) (long) d.doubleValue();
            }
        }
        if (PyOps.isIntegral(v)) {
            return PyOps.toLong(v);
        }
        if (v instanceof Double d) {
            if (d.isNaN() || d.isInfinite()) {
                throw new ChatTemplateException("cannot convert float " + PyRepr.floatRepr(d) + " to integer");
            }
            return (long) d.doubleValue();
        }
        return dflt;
    }

    /** Python's float(x) for the values a template has; null where Python raises TypeError/ValueError. */
    private static Double toFloat(Object v) {
        if (PyOps.isNumber(v)) {
            return PyOps.toDouble(v);
        }
        if (!(v instanceof String s)) {
            return null;
        }
        String t = PyStrings.lower(PyStrings.strip(s, null));
        String body = t.startsWith("-") || t.startsWith("+") ? t.substring(1) : t;
        double sign = t.startsWith("-") ? -1 : 1;
        if (body.equals("inf") || body.equals("infinity")) {
            return sign * Double.POSITIVE_INFINITY;
        }
        if (body.equals("nan")) {
            return Double.NaN;
        }
        if (!body.matches("(\\d(_?\\d)*)?(\\.(\\d(_?\\d)*)?)?(e[+-]?\\d(_?\\d)*)?") || !body.matches(".*\\d.*")
                || body.startsWith("e") || body.startsWith(".e")) {
            return null;
        }
        return sign * Double.parseDouble(body.replace("_", ""));
    }

    private static Object round(Object v, int precision, String method) {
        if (v instanceof Undefined u) {
            throw u.error();
        }
        if (!PyOps.isNumber(v)) {
            throw new ChatTemplateException("type " + PyOps.typeName(v) + " doesn't define __round__ method");
        }
        switch (method) {
            case "common" -> {
                if (PyOps.isIntegral(v)) {
                    long x = PyOps.toLong(v);
                    if (precision >= 0) {
                        return x;
                    }
                    return new BigDecimal(x).setScale(precision, RoundingMode.HALF_EVEN).longValue();
                }
                double d = PyOps.toDouble(v);
                if (Double.isNaN(d) || Double.isInfinite(d)) {
                    return d;
                }
                // Python rounds the exact binary value half-to-even: round(2.675, 2) == 2.67
                return new BigDecimal(d).setScale(precision, RoundingMode.HALF_EVEN).doubleValue();
            }
            case "ceil", "floor" -> {
                double scale = Math.pow(10, precision);
                double x = PyOps.toDouble(v) * scale;
                return (method.equals("ceil") ? Math.ceil(x) : Math.floor(x)) / scale;
            }
            default -> throw new ChatTemplateException("method must be common, ceil or floor");
        }
    }
}

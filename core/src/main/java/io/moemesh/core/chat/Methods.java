package io.moemesh.core.chat;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The Python methods templates call on values: {@code content.split('</think>')}, {@code
 * message.get('x')}, {@code d.items()}. Only methods of str, dict and list are exposed, as in
 * jinja2's sandbox.
 *
 * <p>One deliberate difference: transformers renders in an ImmutableSandboxedEnvironment, where
 * {@code list.append}/{@code extend}/{@code insert}/{@code pop} raise a SecurityError. They are allowed
 * here because some templates written for other runtimes (llama.cpp's minja) use them; a template
 * that works in transformers never calls them, so its output is unaffected.
 */
final class Methods {

    private static final Set<String> STR = Set.of(
            "strip", "lstrip", "rstrip", "split", "rsplit", "splitlines", "replace", "upper", "lower", "title",
            "capitalize", "swapcase", "casefold", "startswith", "endswith", "find", "rfind", "index", "rindex",
            "count", "join", "format", "isdigit", "isdecimal", "isnumeric", "isalpha", "isalnum", "isspace",
            "isupper", "islower", "istitle", "zfill", "center", "ljust", "rjust", "partition", "rpartition",
            "removeprefix", "removesuffix");
    private static final Set<String> DICT = Set.of("items", "keys", "values", "get", "copy");
    private static final Set<String> LIST = Set.of("index", "count", "copy", "append", "extend", "insert", "pop");

    private Methods() {
    }

    static boolean has(Object self, String name) {
        if (self instanceof String) {
            return STR.contains(name);
        }
        if (self instanceof Map) {
            return DICT.contains(name);
        }
        if (self instanceof PyTuple) {
            return name.equals("index") || name.equals("count");
        }
        if (self instanceof List) {
            return LIST.contains(name);
        }
        return false;
    }

    static Object call(Object self, String name, List<Object> args, Map<String, Object> kwargs) {
        if (self instanceof String s) {
            return callStr(s, name, args, kwargs);
        }
        if (self instanceof Map<?, ?> m) {
            return callDict(m, name, args, kwargs);
        }
        if (self instanceof List<?> l) {
            return callList(l, name, args, kwargs);
        }
        throw new ChatTemplateException("'" + PyOps.typeName(self) + "' object has no attribute '" + name + "'");
    }

    private static Object[] bind(String name, List<Object> args, Map<String, Object> kwargs, String[] names, Object... defaults) {
        return Args.bind(name, args, kwargs, names, defaults);
    }

    private static final String[] NO_ARGS = {};
    private static final String[] CHARS = {"chars"};
    private static final String[] SEP_MAX = {"sep", "maxsplit"};
    private static final String[] SUB_START_END = {"sub", "start", "end"};

    private static Object callStr(String s, String name, List<Object> args, Map<String, Object> kwargs) {
        switch (name) {
            case "strip", "lstrip", "rstrip" -> {
                String chars = Args.optString(name, bind(name, args, kwargs, CHARS, (Object) null)[0]);
                return name.equals("strip") ? PyStrings.strip(s, chars)
                        : name.equals("lstrip") ? PyStrings.lstrip(s, chars) : PyStrings.rstrip(s, chars);
            }
            case "split", "rsplit" -> {
                Object[] a = bind(name, args, kwargs, SEP_MAX, null, -1L);
                String sep = Args.optString(name, a[0]);
                long max = PyOps.toLong(a[1]);
                return name.equals("split") ? PyStrings.split(s, sep, max) : PyStrings.rsplit(s, sep, max);
            }
            case "splitlines" -> {
                return PyStrings.splitlines(s, PyOps.truthy(bind(name, args, kwargs, new String[] {"keepends"}, false)[0]));
            }
            case "replace" -> {
                Object[] a = bind(name, args, kwargs, new String[] {"old", "new", "count"}, Args.REQUIRED, Args.REQUIRED, -1L);
                return PyStrings.replace(s, Args.string(name, a[0]), Args.string(name, a[1]), PyOps.toLong(a[2]));
            }
            case "upper" -> {
                bind(name, args, kwargs, NO_ARGS);
                return PyStrings.upper(s);
            }
            case "lower", "casefold" -> {
                bind(name, args, kwargs, NO_ARGS);
                return PyStrings.lower(s);
            }
            case "title" -> {
                bind(name, args, kwargs, NO_ARGS);
                return PyStrings.title(s);
            }
            case "capitalize" -> {
                bind(name, args, kwargs, NO_ARGS);
                return PyStrings.capitalize(s);
            }
            case "swapcase" -> {
                bind(name, args, kwargs, NO_ARGS);
                return PyStrings.swapcase(s);
            }
            case "startswith", "endswith" -> {
                Object[] a = bind(name, args, kwargs, new String[] {"prefix", "start", "end"}, Args.REQUIRED, null, null);
                int[] r = PyStrings.range(s, Args.optLong(a[1]), Args.optLong(a[2]));
                if (r[0] > r[1]) {
                    return false;
                }
                String window = s.substring(s.offsetByCodePoints(0, r[0]), s.offsetByCodePoints(0, r[1]));
                List<Object> options = a[0] instanceof PyTuple t ? t : List.of(Args.string(name, a[0]));
                for (Object o : options) {
                    String affix = Args.string(name, o);
                    if (name.equals("startswith") ? window.startsWith(affix) : window.endsWith(affix)) {
                        return true;
                    }
                }
                return false;
            }
            case "find", "rfind", "index", "rindex" -> {
                Object[] a = bind(name, args, kwargs, SUB_START_END, Args.REQUIRED, null, null);
                long idx = PyStrings.find(s, Args.string(name, a[0]), Args.optLong(a[1]), Args.optLong(a[2]),
                        name.startsWith("r"));
                if (idx < 0 && name.endsWith("index")) {
                    throw new ChatTemplateException("substring not found");
                }
                return idx;
            }
            case "count" -> {
                Object[] a = bind(name, args, kwargs, SUB_START_END, Args.REQUIRED, null, null);
                return PyStrings.count(s, Args.string(name, a[0]), Args.optLong(a[1]), Args.optLong(a[2]));
            }
            case "join" -> {
                Object iterable = bind(name, args, kwargs, new String[] {"iterable"}, Args.REQUIRED)[0];
                List<Object> items = PyOps.iterate(iterable);
                StringBuilder sb = new StringBuilder();
                for (int i = 0; i < items.size(); i++) {
                    if (!(items.get(i) instanceof String item)) {
                        throw new ChatTemplateException("sequence item " + i + ": expected str instance, "
                                + PyOps.typeName(items.get(i)) + " found");
                    }
                    if (i > 0) {
                        sb.append(s);
                    }
                    sb.append(item);
                }
                return sb.toString();
            }
            case "format" -> {
                return PyStrings.format(s, args, kwargs);
            }
            case "isdigit", "isdecimal", "isnumeric" -> {
                bind(name, args, kwargs, NO_ARGS);
                return PyStrings.all(s, Character::isDigit);
            }
            case "isalpha" -> {
                bind(name, args, kwargs, NO_ARGS);
                return PyStrings.all(s, Character::isLetter);
            }
            case "isalnum" -> {
                bind(name, args, kwargs, NO_ARGS);
                return PyStrings.all(s, Character::isLetterOrDigit);
            }
            case "isspace" -> {
                bind(name, args, kwargs, NO_ARGS);
                return PyStrings.all(s, PyStrings::isSpace);
            }
            case "isupper" -> {
                bind(name, args, kwargs, NO_ARGS);
                return PyStrings.isUpper(s);
            }
            case "islower" -> {
                bind(name, args, kwargs, NO_ARGS);
                return PyStrings.isLower(s);
            }
            case "istitle" -> {
                bind(name, args, kwargs, NO_ARGS);
                return !s.isEmpty() && PyStrings.title(s).equals(s) && s.codePoints().anyMatch(Character::isLetter);
            }
            case "zfill" -> {
                long width = PyOps.toLong(bind(name, args, kwargs, new String[] {"width"}, Args.REQUIRED)[0]);
                int len = PyStrings.length(s);
                if (width <= len) {
                    return s;
                }
                boolean signed = s.startsWith("-") || s.startsWith("+");
                String zeros = "0".repeat((int) (width - len));
                return signed ? s.charAt(0) + zeros + s.substring(1) : zeros + s;
            }
            case "center", "ljust", "rjust" -> {
                Object[] a = bind(name, args, kwargs, new String[] {"width", "fillchar"}, Args.REQUIRED, " ");
                char align = name.equals("center") ? '^' : name.equals("ljust") ? '<' : '>';
                return PyStrings.pad(s, PyOps.toLong(a[0]), Args.string(name, a[1]), align);
            }
            case "partition", "rpartition" -> {
                String sep = Args.string(name, bind(name, args, kwargs, new String[] {"sep"}, Args.REQUIRED)[0]);
                int i = name.equals("partition") ? s.indexOf(sep) : s.lastIndexOf(sep);
                if (i < 0) {
                    return name.equals("partition") ? PyTuple.of(s, "", "") : PyTuple.of("", "", s);
                }
                return PyTuple.of(s.substring(0, i), sep, s.substring(i + sep.length()));
            }
            case "removeprefix", "removesuffix" -> {
                String affix = Args.string(name, bind(name, args, kwargs, new String[] {"affix"}, Args.REQUIRED)[0]);
                if (name.equals("removeprefix")) {
                    return s.startsWith(affix) ? s.substring(affix.length()) : s;
                }
                return s.endsWith(affix) && !affix.isEmpty() ? s.substring(0, s.length() - affix.length()) : s;
            }
            default -> throw new ChatTemplateException("'str' object has no attribute '" + name + "'");
        }
    }

    private static Object callDict(Map<?, ?> m, String name, List<Object> args, Map<String, Object> kwargs) {
        switch (name) {
            case "items" -> {
                bind(name, args, kwargs, NO_ARGS);
                List<Object> out = new ArrayList<>(m.size());
                m.forEach((k, v) -> out.add(PyTuple.of(k, v)));
                return out;
            }
            case "keys" -> {
                bind(name, args, kwargs, NO_ARGS);
                return new ArrayList<Object>(m.keySet());
            }
            case "values" -> {
                bind(name, args, kwargs, NO_ARGS);
                return new ArrayList<Object>(m.values());
            }
            case "get" -> {
                Object[] a = bind(name, args, kwargs, new String[] {"key", "default"}, Args.REQUIRED, null);
                Object k = PyOps.findKey(m, a[0]);
                return k == PyOps.MISSING ? a[1] : m.get(k);
            }
            case "copy" -> {
                bind(name, args, kwargs, NO_ARGS);
                return new LinkedHashMap<Object, Object>(m);
            }
            default -> throw new ChatTemplateException("'dict' object has no attribute '" + name + "'");
        }
    }

    @SuppressWarnings("unchecked")
    private static Object callList(List<?> l, String name, List<Object> args, Map<String, Object> kwargs) {
        switch (name) {
            case "index" -> {
                Object item = bind(name, args, kwargs, new String[] {"value"}, Args.REQUIRED)[0];
                for (int i = 0; i < l.size(); i++) {
                    if (PyOps.eq(l.get(i), item)) {
                        return (long) i;
                    }
                }
                throw new ChatTemplateException(PyRepr.repr(item) + " is not in list");
            }
            case "count" -> {
                Object item = bind(name, args, kwargs, new String[] {"value"}, Args.REQUIRED)[0];
                return l.stream().filter(o -> PyOps.eq(o, item)).count();
            }
            case "copy" -> {
                bind(name, args, kwargs, NO_ARGS);
                return new ArrayList<Object>(l);
            }
            default -> { }
        }
        List<Object> list = (List<Object>) l;
        try {
            switch (name) {
                case "append" -> list.add(bind(name, args, kwargs, new String[] {"object"}, Args.REQUIRED)[0]);
                case "extend" -> list.addAll(PyOps.iterate(bind(name, args, kwargs, new String[] {"iterable"}, Args.REQUIRED)[0]));
                case "insert" -> {
                    Object[] a = bind(name, args, kwargs, new String[] {"index", "object"}, Args.REQUIRED, Args.REQUIRED);
                    long i = PyOps.toLong(a[0]);
                    if (i < 0) {
                        i = Math.max(0, i + list.size());
                    }
                    list.add((int) Math.min(i, list.size()), a[1]);
                }
                case "pop" -> {
                    long i = PyOps.toLong(bind(name, args, kwargs, new String[] {"index"}, -1L)[0]);
                    if (list.isEmpty()) {
                        throw new ChatTemplateException("pop from empty list");
                    }
                    long idx = i < 0 ? i + list.size() : i;
                    if (idx < 0 || idx >= list.size()) {
                        throw new ChatTemplateException("pop index out of range");
                    }
                    return list.remove((int) idx);
                }
                default -> throw new ChatTemplateException("'list' object has no attribute '" + name + "'");
            }
        } catch (UnsupportedOperationException immutable) {
            throw new ChatTemplateException("'" + PyOps.typeName(l) + "' object does not support item assignment");
        }
        return null;
    }
}

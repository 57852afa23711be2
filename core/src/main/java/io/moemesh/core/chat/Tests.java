package io.moemesh.core.chat;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * jinja2's built-in tests ({@code is defined}, {@code is string}, {@code is none}, ...), with Python's
 * type rules: a bool is a number but not an integer, a dict is a sequence, an undefined value is
 * iterable (as empty).
 */
final class Tests {

    @FunctionalInterface
    interface Test {
        boolean test(Object value, List<Object> args, Map<String, Object> kwargs);
    }

    private static final Map<String, Test> TESTS = new HashMap<>();

    private Tests() {
    }

    static boolean exists(String name) {
        return TESTS.containsKey(name);
    }

    static boolean apply(String name, Object value, List<Object> args, Map<String, Object> kwargs) {
        Test t = TESTS.get(name);
        if (t == null) {
            throw new ChatTemplateException("No test named '" + name + "'.");
        }
        return t.test(value, args, kwargs);
    }

    private static void unary(String name, java.util.function.Predicate<Object> p) {
        TESTS.put(name, (v, a, k) -> {
            Args.bind(name, a, k, new String[0], new Object[0]);
            return p.test(v);
        });
    }

    private static void binary(java.util.function.BiPredicate<Object, Object> p, String... names) {
        for (String name : names) {
            TESTS.put(name, (v, a, k) -> p.test(v, Args.bind(name, a, k, new String[] {"other"}, new Object[] {Args.REQUIRED})[0]));
        }
    }

    static {
        unary("defined", v -> !(v instanceof Undefined));
        unary("undefined", v -> v instanceof Undefined);
        unary("none", v -> v == null);
        unary("boolean", v -> v instanceof Boolean);
        unary("true", v -> Boolean.TRUE.equals(v));
        unary("false", v -> Boolean.FALSE.equals(v));
        unary("integer", v -> PyOps.isIntegral(v) && !(v instanceof Boolean));
        unary("float", v -> v instanceof Double || v instanceof Float);
        unary("number", PyOps::isNumber);
        unary("string", v -> v instanceof String);
        unary("mapping", v -> v instanceof Map);
        unary("iterable", v -> v instanceof String || v instanceof List || v instanceof Map || v instanceof Undefined);
        unary("sequence", v -> v instanceof String || v instanceof List || v instanceof Map || v instanceof Undefined);
        unary("callable", v -> v instanceof PyCallable);
        unary("escaped", v -> false);
        unary("lower", v -> PyStrings.isLower(PyRepr.str(v)));
        unary("upper", v -> PyStrings.isUpper(PyRepr.str(v)));
        unary("odd", v -> PyOps.eq(PyOps.binary("%", v, 2L), 1L));
        unary("even", v -> PyOps.eq(PyOps.binary("%", v, 2L), 0L));
        unary("filter", v -> v instanceof String s && Filters.exists(s));
        unary("test", v -> v instanceof String s && TESTS.containsKey(s));
        TESTS.put("divisibleby", (v, a, k) -> {
            Object num = Args.bind("divisibleby", a, k, new String[] {"num"}, new Object[] {Args.REQUIRED})[0];
            return PyOps.eq(PyOps.binary("%", v, num), 0L);
        });
        TESTS.put("in", (v, a, k) -> {
            Object seq = Args.bind("in", a, k, new String[] {"seq"}, new Object[] {Args.REQUIRED})[0];
            return PyOps.contains(seq, v);
        });
        binary(Tests::sameAs, "sameas");
        binary(PyOps::eq, "eq", "equalto", "==");
        binary((x, y) -> !PyOps.eq(x, y), "ne", "!=");
        binary((x, y) -> PyOps.compare(x, y, "<") < 0, "lt", "lessthan", "<");
        binary((x, y) -> PyOps.compare(x, y, "<=") <= 0, "le", "<=");
        binary((x, y) -> PyOps.compare(x, y, ">") > 0, "gt", "greaterthan", ">");
        binary((x, y) -> PyOps.compare(x, y, ">=") >= 0, "ge", ">=");
    }

    /** Python's {@code is}: identity, which for None, bools and small ints means equal values. */
    private static boolean sameAs(Object a, Object b) {
        if (a == null || b == null) {
            return a == b;
        }
        if (a instanceof Boolean || b instanceof Boolean) {
            return a.equals(b);
        }
        if (a instanceof Long x && b instanceof Long y) {
            return x.longValue() == y.longValue() && x >= -5 && x <= 256;
        }
        return a == b;
    }
}

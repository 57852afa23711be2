package io.moemesh.core.chat;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * Python's data model for the values a template sees: truthiness, {@code ==}, ordering, {@code in},
 * iteration, {@code len}, and the arithmetic operators with Python's rules (bool is an int, int stays
 * int except under {@code /}, {@code //} and {@code %} floor, {@code str * int} repeats, mixing types
 * is a TypeError with Python's message).
 *
 * <p>Values are: null (None), Boolean, Long, Double, String, List (PyTuple for tuples), Map, and the
 * interpreter's own Undefined, Namespace, LoopContext and callables.
 */
final class PyOps {

    private PyOps() {
    }

    static String typeName(Object v) {
        if (v == null) {
            return "NoneType";
        }
        if (v instanceof Boolean) {
            return "bool";
        }
        if (v instanceof Double || v instanceof Float) {
            return "float";
        }
        if (v instanceof Number) {
            return "int";
        }
        if (v instanceof String) {
            return "str";
        }
        if (v instanceof PyTuple) {
            return "tuple";
        }
        if (v instanceof List) {
            return "list";
        }
        if (v instanceof Map) {
            return "dict";
        }
        if (v instanceof Undefined) {
            return "Undefined";
        }
        if (v instanceof Namespace) {
            return "Namespace";
        }
        if (v instanceof LoopContext) {
            return "LoopContext";
        }
        if (v instanceof Macro) {
            return "Macro";
        }
        if (v instanceof BoundMethod) {
            return "builtin_function_or_method";
        }
        if (v instanceof PyCallable) {
            return "function";
        }
        return v.getClass().getSimpleName();
    }

    // ---- kinds of numbers -----------------------------------------------------------------------

    /** An int in Python's sense, bool included. */
    static boolean isIntegral(Object v) {
        return v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte
                || v instanceof Boolean || v instanceof BigInteger;
    }

    static boolean isNumber(Object v) {
        return isIntegral(v) || v instanceof Double || v instanceof Float;
    }

    static long toLong(Object v) {
        if (v instanceof Boolean b) {
            return b ? 1 : 0;
        }
        if (isIntegral(v)) {
            return ((Number) v).longValue();
        }
        throw typeError("an integer is required (got type " + typeName(v) + ")");
    }

    /** int(x) for numbers: floats truncate toward zero. */
    static long toLongTruncating(Object v) {
        if (v instanceof Double || v instanceof Float) {
            return (long) ((Number) v).doubleValue();
        }
        return toLong(v);
    }

    static double toDouble(Object v) {
        if (v instanceof Boolean b) {
            return b ? 1 : 0;
        }
        if (v instanceof Number n) {
            return n.doubleValue();
        }
        throw typeError("must be real number, not " + typeName(v));
    }

    static ChatTemplateException typeError(String message) {
        return new ChatTemplateException(message);
    }

    private static void rejectUndefined(Object... values) {
        for (Object v : values) {
            if (v instanceof Undefined u) {
                throw u.error();
            }
        }
    }

    // ---- truthiness, equality, ordering ---------------------------------------------------------

    static boolean truthy(Object v) {
        if (v == null || v instanceof Undefined) {
            return false;
        }
        if (v instanceof Boolean b) {
            return b;
        }
        if (v instanceof Double || v instanceof Float) {
            return ((Number) v).doubleValue() != 0.0;
        }
        if (v instanceof Number n) {
            return n.longValue() != 0;
        }
        if (v instanceof String s) {
            return !s.isEmpty();
        }
        if (v instanceof List<?> l) {
            return !l.isEmpty();
        }
        if (v instanceof Map<?, ?> m) {
            return !m.isEmpty();
        }
        return true;
    }

    static boolean eq(Object a, Object b) {
        if (a == b) {
            return true;
        }
        if (a == null || b == null) {
            return false;
        }
        if (a instanceof Undefined || b instanceof Undefined) {
            return a instanceof Undefined && b instanceof Undefined;
        }
        if (isNumber(a) && isNumber(b)) {
            if (isIntegral(a) && isIntegral(b)) {
                return toLong(a) == toLong(b);
            }
            return toDouble(a) == toDouble(b);
        }
        if (a instanceof String && b instanceof String) {
            return a.equals(b);
        }
        if (a instanceof List<?> la && b instanceof List<?> lb) {
            if ((a instanceof PyTuple) != (b instanceof PyTuple) || la.size() != lb.size()) {
                return false;
            }
            for (int i = 0; i < la.size(); i++) {
                if (!eq(la.get(i), lb.get(i))) {
                    return false;
                }
            }
            return true;
        }
        if (a instanceof Map<?, ?> ma && b instanceof Map<?, ?> mb) {
            if (ma.size() != mb.size()) {
                return false;
            }
            for (Map.Entry<?, ?> e : ma.entrySet()) {
                Object key = findKey(mb, e.getKey());
                if (key == MISSING || !eq(e.getValue(), mb.get(key))) {
                    return false;
                }
            }
            return true;
        }
        return a.equals(b);
    }

    static final Object MISSING = new Object();

    /** The key of m equal to key in Python's sense (1 == 1.0 == True), or MISSING. */
    static Object findKey(Map<?, ?> m, Object key) {
        if (m.containsKey(key)) {
            return key;
        }
        if (isNumber(key) || key instanceof List) {
            for (Object k : m.keySet()) {
                if (eq(k, key)) {
                    return k;
                }
            }
        }
        return MISSING;
    }

    /**
     * Python ordering for {@code <, <=, >, >=} and sorting: numbers with numbers, strings by code point,
     * lists/tuples lexicographically; anything else is a TypeError naming the operator.
     */
    static int compare(Object a, Object b, String op) {
        rejectUndefined(a, b);
        if (isNumber(a) && isNumber(b)) {
            if (isIntegral(a) && isIntegral(b)) {
                return Long.compare(toLong(a), toLong(b));
            }
            return Double.compare(toDouble(a), toDouble(b));
        }
        if (a instanceof String sa && b instanceof String sb) {
            return compareCodePoints(sa, sb);
        }
        if (a instanceof List<?> la && b instanceof List<?> lb && (a instanceof PyTuple) == (b instanceof PyTuple)) {
            int n = Math.min(la.size(), lb.size());
            for (int i = 0; i < n; i++) {
                if (!eq(la.get(i), lb.get(i))) {
                    return compare(la.get(i), lb.get(i), op);
                }
            }
            return Integer.compare(la.size(), lb.size());
        }
        throw typeError("'" + op + "' not supported between instances of '" + typeName(a) + "' and '" + typeName(b) + "'");
    }

    private static int compareCodePoints(String a, String b) {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            int ca = a.codePointAt(i);
            int cb = b.codePointAt(j);
            if (ca != cb) {
                return Integer.compare(ca, cb);
            }
            i += Character.charCount(ca);
            j += Character.charCount(cb);
        }
        return Integer.compare(a.length() - i, b.length() - j);
    }

    static boolean compareOp(String op, Object a, Object b) {
        return switch (op) {
            case "==" -> eq(a, b);
            case "!=" -> !eq(a, b);
            case "<" -> compare(a, b, op) < 0;
            case "<=" -> compare(a, b, op) <= 0;
            case ">" -> compare(a, b, op) > 0;
            case ">=" -> compare(a, b, op) >= 0;
            case "in" -> contains(b, a);
            case "notin" -> !contains(b, a);
            default -> throw new IllegalArgumentException(op);
        };
    }

    /** {@code item in container}. */
    static boolean contains(Object container, Object item) {
        if (container instanceof String s) {
            if (!(item instanceof String sub)) {
                if (item instanceof Undefined u) {
                    throw u.error();
                }
                throw typeError("'in <string>' requires string as left operand, not " + typeName(item));
            }
            return s.contains(sub);
        }
        if (container instanceof Map<?, ?> m) {
            if ((item instanceof List && !(item instanceof PyTuple)) || item instanceof Map) {
                throw typeError("unhashable type: '" + typeName(item) + "'");
            }
            return findKey(m, item) != MISSING;
        }
        if (container instanceof List<?> l) {
            for (Object o : l) {
                if (eq(o, item)) {
                    return true;
                }
            }
            return false;
        }
        if (container instanceof Undefined) {
            return false; // jinja2's Undefined iterates as empty
        }
        throw typeError("argument of type '" + typeName(container) + "' is not iterable");
    }

    // ---- iteration and length -------------------------------------------------------------------

    /** What {@code for x in v} iterates: list items, dict keys, string characters; undefined is empty. */
    static List<Object> iterate(Object v) {
        if (v instanceof List<?> l) {
            return new ArrayList<>(l);
        }
        if (v instanceof Map<?, ?> m) {
            return new ArrayList<>(m.keySet());
        }
        if (v instanceof String s) {
            return PyStrings.chars(s);
        }
        if (v instanceof Undefined) {
            return new ArrayList<>();
        }
        throw typeError("'" + typeName(v) + "' object is not iterable");
    }

    static long len(Object v) {
        if (v instanceof String s) {
            return PyStrings.length(s);
        }
        if (v instanceof List<?> l) {
            return l.size();
        }
        if (v instanceof Map<?, ?> m) {
            return m.size();
        }
        if (v instanceof Undefined) {
            return 0;
        }
        throw typeError("object of type '" + typeName(v) + "' has no len()");
    }

    /**
     * Python's slice.indices(length) plus the element count: {start, stop, step, count}.
     */
    static int[] sliceIndices(int length, Long start, Long stop, Long step) {
        long st = step == null ? 1 : step;
        if (st == 0) {
            throw new ChatTemplateException("slice step cannot be zero");
        }
        long lower = st > 0 ? 0 : -1;
        long upper = st > 0 ? length : length - 1;
        long b = start == null ? (st > 0 ? lower : upper) : clampSlice(start, length, lower, upper);
        long e = stop == null ? (st > 0 ? upper : lower) : clampSlice(stop, length, lower, upper);
        long count = st > 0 ? (e > b ? (e - b + st - 1) / st : 0) : (b > e ? (b - e - st - 1) / -st : 0);
        return new int[] {(int) b, (int) e, (int) st, (int) count};
    }

    private static long clampSlice(long v, int length, long lower, long upper) {
        if (v < 0) {
            v += length;
            return Math.max(v, lower);
        }
        return Math.min(v, upper);
    }

    static Object slice(Object target, Long start, Long stop, Long step) {
        if (target instanceof String s) {
            return PyStrings.slice(s, start, stop, step);
        }
        if (target instanceof List<?> l) {
            int[] r = sliceIndices(l.size(), start, stop, step);
            List<Object> out = new ArrayList<>(r[3]);
            for (int k = 0, i = r[0]; k < r[3]; k++, i += r[2]) {
                out.add(l.get(i));
            }
            return target instanceof PyTuple ? PyTuple.of(out) : out;
        }
        if (target instanceof Undefined u) {
            throw u.error();
        }
        throw typeError("'" + typeName(target) + "' object is not subscriptable");
    }

    // ---- arithmetic -----------------------------------------------------------------------------

    static Object binary(String op, Object a, Object b) {
        if (op.equals("%") && a instanceof String fmt) {
            return PyStrings.percentFormat(fmt, b); // an undefined argument only fails if it is used
        }
        rejectUndefined(a, b);
        try {
            return switch (op) {
                case "+" -> add(a, b);
                case "-" -> numeric(op, a, b, Math::subtractExact, (x, y) -> x - y);
                case "*" -> multiply(a, b);
                case "/" -> divide(a, b);
                case "//" -> floorDivide(a, b);
                case "%" -> modulo(a, b);
                case "**" -> power(a, b);
                default -> throw new IllegalArgumentException(op);
            };
        } catch (ArithmeticException overflow) {
            throw new ChatTemplateException("integer overflow in '" + op + "'");
        }
    }

    private interface LongOp {
        long apply(long a, long b);
    }

    private interface DoubleOp {
        double apply(double a, double b);
    }

    private static Object numeric(String op, Object a, Object b, LongOp longs, DoubleOp doubles) {
        if (isIntegral(a) && isIntegral(b)) {
            return longs.apply(toLong(a), toLong(b));
        }
        if (isNumber(a) && isNumber(b)) {
            return doubles.apply(toDouble(a), toDouble(b));
        }
        throw unsupported(op, a, b);
    }

    private static ChatTemplateException unsupported(String op, Object a, Object b) {
        return typeError("unsupported operand type(s) for " + op + ": '" + typeName(a) + "' and '" + typeName(b) + "'");
    }

    private static Object add(Object a, Object b) {
        if (a instanceof String sa) {
            if (b instanceof String sb) {
                return sa + sb;
            }
            throw typeError("can only concatenate str (not \"" + typeName(b) + "\") to str");
        }
        if (a instanceof List<?> la && !(a instanceof PyTuple)) {
            if (b instanceof List<?> lb && !(b instanceof PyTuple)) {
                List<Object> out = new ArrayList<>(la);
                out.addAll(lb);
                return out;
            }
            throw typeError("can only concatenate list (not \"" + typeName(b) + "\") to list");
        }
        if (a instanceof PyTuple ta) {
            if (b instanceof PyTuple tb) {
                List<Object> out = new ArrayList<>(ta);
                out.addAll(tb);
                return PyTuple.of(out);
            }
            throw typeError("can only concatenate tuple (not \"" + typeName(b) + "\") to tuple");
        }
        return numeric("+", a, b, Math::addExact, Double::sum);
    }

    private static Object multiply(Object a, Object b) {
        if (isIntegral(b) && (a instanceof String || a instanceof List)) {
            return repeat(a, toLong(b));
        }
        if (isIntegral(a) && (b instanceof String || b instanceof List)) {
            return repeat(b, toLong(a));
        }
        return numeric("*", a, b, Math::multiplyExact, (x, y) -> x * y);
    }

    /** Larger results than this are refused rather than allowed to exhaust the server's memory. */
    private static final long MAX_REPEAT_LENGTH = 1L << 26;

    private static Object repeat(Object seq, long times) {
        long size = seq instanceof String s0 ? s0.length() : ((List<?>) seq).size();
        if (times > 0 && size > 0 && size * Math.min(times, MAX_REPEAT_LENGTH + 1) > MAX_REPEAT_LENGTH) {
            throw new ChatTemplateException("repetition result too large");
        }
        if (seq instanceof String s) {
            return times <= 0 ? "" : s.repeat(Math.toIntExact(times));
        }
        List<?> l = (List<?>) seq;
        List<Object> out = new ArrayList<>();
        for (long i = 0; i < times; i++) {
            out.addAll(l);
        }
        return seq instanceof PyTuple ? PyTuple.of(out) : out;
    }

    private static Object divide(Object a, Object b) {
        if (!isNumber(a) || !isNumber(b)) {
            throw unsupported("/", a, b);
        }
        double y = toDouble(b);
        if (y == 0) {
            throw new ChatTemplateException("division by zero");
        }
        if (isIntegral(a) && isIntegral(b)) {
            // Python divides ints exactly then rounds once; doubles agree below 2^53
            return (double) toLong(a) / toLong(b);
        }
        return toDouble(a) / y;
    }

    private static Object floorDivide(Object a, Object b) {
        if (isIntegral(a) && isIntegral(b)) {
            if (toLong(b) == 0) {
                throw new ChatTemplateException("integer division or modulo by zero");
            }
            return Math.floorDiv(toLong(a), toLong(b));
        }
        if (!isNumber(a) || !isNumber(b)) {
            throw unsupported("//", a, b);
        }
        if (toDouble(b) == 0) {
            throw new ChatTemplateException("float floor division by zero");
        }
        return Math.floor(toDouble(a) / toDouble(b));
    }

    private static Object modulo(Object a, Object b) {
        if (a instanceof String fmt) {
            return PyStrings.percentFormat(fmt, b);
        }
        if (isIntegral(a) && isIntegral(b)) {
            if (toLong(b) == 0) {
                throw new ChatTemplateException("integer division or modulo by zero");
            }
            return Math.floorMod(toLong(a), toLong(b));
        }
        if (!isNumber(a) || !isNumber(b)) {
            throw unsupported("%", a, b);
        }
        double x = toDouble(a);
        double y = toDouble(b);
        if (y == 0) {
            throw new ChatTemplateException("float modulo");
        }
        double r = x % y;
        if (r == 0) {
            return Math.copySign(0.0, y); // Python gives a zero the divisor's sign
        }
        if ((r < 0) != (y < 0)) {
            r += y;
        }
        return r;
    }

    private static Object power(Object a, Object b) {
        if (isIntegral(a) && isIntegral(b) && toLong(b) >= 0) {
            long base = toLong(a);
            long exp = toLong(b);
            long result = 1;
            while (exp > 0) { // by squaring, so 1 ** 10**18 does not loop 10**18 times
                if ((exp & 1) == 1) {
                    result = Math.multiplyExact(result, base);
                }
                exp >>= 1;
                if (exp > 0) {
                    base = Math.multiplyExact(base, base);
                }
            }
            return result;
        }
        if (!isNumber(a) || !isNumber(b)) {
            throw unsupported("** or pow()", a, b);
        }
        if (toDouble(a) == 0 && toDouble(b) < 0) {
            throw new ChatTemplateException("0.0 cannot be raised to a negative power");
        }
        return Math.pow(toDouble(a), toDouble(b));
    }

    static Object unary(String op, Object v) {
        rejectUndefined(v);
        if (isIntegral(v)) {
            long x = toLong(v);
            return op.equals("-") ? Math.negateExact(x) : x;
        }
        if (v instanceof Double || v instanceof Float) {
            double x = toDouble(v);
            return op.equals("-") ? -x : x;
        }
        throw typeError("bad operand type for unary " + op + ": '" + typeName(v) + "'");
    }

    /** A sorted copy, Python's stable sort with an optional key function. */
    static List<Object> sorted(List<Object> items, java.util.function.UnaryOperator<Object> key, boolean reverse) {
        List<Object> keys = new ArrayList<>(items.size());
        for (Object item : items) {
            keys.add(key.apply(item));
        }
        Integer[] order = new Integer[items.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, (x, y) -> {
            int c = compare(keys.get(x), keys.get(y), "<");
            return reverse ? -c : c;
        });
        List<Object> out = new ArrayList<>(items.size());
        for (Integer i : order) {
            out.add(items.get(i));
        }
        return out;
    }

    static List<Object> reversed(List<Object> items) {
        List<Object> out = new ArrayList<>(items);
        Collections.reverse(out);
        return out;
    }
}

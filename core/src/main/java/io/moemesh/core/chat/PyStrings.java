package io.moemesh.core.chat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * Python {@code str} semantics on Java strings. Python indexes strings by code point, not UTF-16 unit,
 * so lengths, indices and slices go through code points (emoji in chat messages are common);
 * whitespace is Python's {@code str.isspace()} set, which is what {@code strip()}, {@code split()} and
 * jinja2's {@code \s} use.
 */
final class PyStrings {

    private PyStrings() {
    }

    /** Python's str.isspace() for one code point. */
    static boolean isSpace(int cp) {
        return switch (cp) {
            case 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680,
                 0x2028, 0x2029, 0x202f, 0x205f, 0x3000 -> true;
            default -> cp >= 0x2000 && cp <= 0x200a;
        };
    }

    static int length(String s) {
        return s.codePointCount(0, s.length());
    }

    private static boolean hasSurrogates(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (Character.isSurrogate(s.charAt(i))) {
                return true;
            }
        }
        return false;
    }

    /** The code points of s, one string each (iterating a str in Python). */
    static List<Object> chars(String s) {
        List<Object> out = new ArrayList<>(s.length());
        s.codePoints().forEach(cp -> out.add(new String(Character.toChars(cp))));
        return out;
    }

    /** {@code s[index]} with negative indices; null when out of range. */
    static String charAt(String s, long index) {
        if (!hasSurrogates(s)) {
            long i = index < 0 ? index + s.length() : index;
            return i < 0 || i >= s.length() ? null : String.valueOf(s.charAt((int) i));
        }
        int[] cps = s.codePoints().toArray();
        long i = index < 0 ? index + cps.length : index;
        return i < 0 || i >= cps.length ? null : new String(cps, (int) i, 1);
    }

    static String slice(String s, Long start, Long stop, Long step) {
        int[] cps = s.codePoints().toArray();
        int[] r = PyOps.sliceIndices(cps.length, start, stop, step);
        StringBuilder sb = new StringBuilder();
        for (int k = 0, i = r[0]; k < r[3]; k++, i += r[2]) {
            sb.appendCodePoint(cps[i]);
        }
        return sb.toString();
    }

    // ---- strip ----------------------------------------------------------------------------------

    private static boolean stripsChar(int cp, String chars) {
        return chars == null ? isSpace(cp) : chars.indexOf(cp) >= 0;
    }

    static String strip(String s, String chars) {
        return rstrip(lstrip(s, chars), chars);
    }

    static String lstrip(String s, String chars) {
        int i = 0;
        while (i < s.length()) {
            int cp = s.codePointAt(i);
            if (!stripsChar(cp, chars)) {
                break;
            }
            i += Character.charCount(cp);
        }
        return s.substring(i);
    }

    static String rstrip(String s, String chars) {
        int i = s.length();
        while (i > 0) {
            int cp = s.codePointBefore(i);
            if (!stripsChar(cp, chars)) {
                break;
            }
            i -= Character.charCount(cp);
        }
        return s.substring(0, i);
    }

    // ---- split ----------------------------------------------------------------------------------

    /** str.split(sep, maxsplit): sep null splits on whitespace runs and drops empty ends. */
    static List<Object> split(String s, String sep, long maxsplit) {
        List<Object> out = new ArrayList<>();
        if (sep == null) {
            int i = 0;
            int n = s.length();
            while (true) {
                while (i < n && isSpace(s.charAt(i))) {
                    i++;
                }
                if (i >= n) {
                    break;
                }
                if (maxsplit >= 0 && out.size() >= maxsplit) {
                    out.add(s.substring(i)); // the remainder keeps its trailing whitespace
                    break;
                }
                int j = i;
                while (j < n && !isSpace(s.charAt(j))) {
                    j++;
                }
                out.add(s.substring(i, j));
                i = j;
            }
            return out;
        }
        if (sep.isEmpty()) {
            throw new ChatTemplateException("empty separator");
        }
        int i = 0;
        while (maxsplit < 0 || out.size() < maxsplit) {
            int j = s.indexOf(sep, i);
            if (j < 0) {
                break;
            }
            out.add(s.substring(i, j));
            i = j + sep.length();
        }
        out.add(s.substring(i));
        return out;
    }

    static List<Object> rsplit(String s, String sep, long maxsplit) {
        if (maxsplit < 0) {
            return split(s, sep, -1);
        }
        List<Object> out = new ArrayList<>();
        if (sep == null) {
            int j = s.length();
            while (true) {
                while (j > 0 && isSpace(s.charAt(j - 1))) {
                    j--;
                }
                if (j <= 0) {
                    break;
                }
                if (out.size() >= maxsplit) {
                    out.add(s.substring(0, j));
                    break;
                }
                int i = j;
                while (i > 0 && !isSpace(s.charAt(i - 1))) {
                    i--;
                }
                out.add(s.substring(i, j));
                j = i;
            }
        } else {
            if (sep.isEmpty()) {
                throw new ChatTemplateException("empty separator");
            }
            int j = s.length();
            while (out.size() < maxsplit) {
                int i = s.lastIndexOf(sep, j - sep.length());
                if (i < 0 || j - sep.length() < 0) {
                    break;
                }
                out.add(s.substring(i + sep.length(), j));
                j = i;
            }
            out.add(s.substring(0, j));
        }
        Collections.reverse(out);
        return out;
    }

    private static boolean isLineBreak(char c) {
        return c == '\n' || c == '\r' || c == 0x0b || c == 0x0c || c == 0x1c || c == 0x1d || c == 0x1e
                || c == 0x85 || c == 0x2028 || c == 0x2029;
    }

    /** str.splitlines(keepends): every Unicode line boundary Python knows, \r\n counting once. */
    static List<Object> splitlines(String s, boolean keepends) {
        List<Object> out = new ArrayList<>();
        int i = 0;
        int n = s.length();
        while (i < n) {
            int j = i;
            while (j < n && !isLineBreak(s.charAt(j))) {
                j++;
            }
            int eol = j;
            if (j < n) {
                j += s.charAt(j) == '\r' && j + 1 < n && s.charAt(j + 1) == '\n' ? 2 : 1;
            }
            out.add(s.substring(i, keepends ? j : eol));
            i = j;
        }
        return out;
    }

    // ---- search and replace ---------------------------------------------------------------------

    static String replace(String s, String old, String replacement, long count) {
        if (count < 0) {
            return s.replace(old, replacement);
        }
        StringBuilder sb = new StringBuilder();
        int i = 0;
        long done = 0;
        if (old.isEmpty()) {
            // Python inserts the replacement before every code point and at the end
            int k = 0;
            while (k < s.length() && done < count) {
                sb.append(replacement);
                done++;
                int cp = s.codePointAt(k);
                sb.appendCodePoint(cp);
                k += Character.charCount(cp);
            }
            sb.append(s, k, s.length());
            if (done < count && k >= s.length()) {
                sb.append(replacement);
            }
            return sb.toString();
        }
        while (done < count) {
            int j = s.indexOf(old, i);
            if (j < 0) {
                break;
            }
            sb.append(s, i, j).append(replacement);
            i = j + old.length();
            done++;
        }
        return sb.append(s.substring(i)).toString();
    }

    /** The UTF-16 offset of code point index cp (clamped to the string). */
    private static int offsetOf(String s, long cp) {
        int count = length(s);
        long c = Math.max(0, Math.min(cp, count));
        return s.offsetByCodePoints(0, (int) c);
    }

    /** Python's start/end normalisation for find/count/startswith: negative from the end, clamped. */
    static int[] range(String s, Long start, Long end) {
        int len = length(s);
        long st = start == null ? 0 : start < 0 ? Math.max(0, start + len) : Math.min(start, len);
        long en = end == null ? len : end < 0 ? Math.max(0, end + len) : Math.min(end, len);
        return new int[] {(int) st, (int) en};
    }

    static long find(String s, String sub, Long start, Long end, boolean fromRight) {
        int[] r = range(s, start, end);
        if (r[0] > r[1]) {
            return -1;
        }
        int from = offsetOf(s, r[0]);
        int to = offsetOf(s, r[1]);
        String window = s.substring(from, to);
        int idx = fromRight ? window.lastIndexOf(sub) : window.indexOf(sub);
        return idx < 0 ? -1 : r[0] + window.codePointCount(0, idx);
    }

    static long count(String s, String sub, Long start, Long end) {
        int[] r = range(s, start, end);
        if (r[0] > r[1]) {
            return 0;
        }
        String window = s.substring(offsetOf(s, r[0]), offsetOf(s, r[1]));
        if (sub.isEmpty()) {
            return length(window) + 1;
        }
        long n = 0;
        int i = 0;
        while ((i = window.indexOf(sub, i)) >= 0) {
            n++;
            i += sub.length();
        }
        return n;
    }

    // ---- case -----------------------------------------------------------------------------------

    static String upper(String s) {
        return s.toUpperCase(Locale.ROOT);
    }

    static String lower(String s) {
        return s.toLowerCase(Locale.ROOT);
    }

    /** str.capitalize(): first character title-cased, the rest lower-cased. */
    static String capitalize(String s) {
        if (s.isEmpty()) {
            return s;
        }
        int first = s.codePointAt(0);
        int n = Character.charCount(first);
        return new String(Character.toChars(Character.toTitleCase(first))) + lower(s.substring(n));
    }

    private static boolean isCased(int cp) {
        return Character.isUpperCase(cp) || Character.isLowerCase(cp) || Character.isTitleCase(cp);
    }

    /** str.title(): a cased character after an uncased one starts a word, hence "They'Re". */
    static String title(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        boolean previousCased = false;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            if (previousCased) {
                sb.append(lower(new String(Character.toChars(cp))));
            } else {
                sb.appendCodePoint(Character.toTitleCase(cp));
            }
            previousCased = isCased(cp);
        }
        return sb.toString();
    }

    static String swapcase(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        s.codePoints().forEach(cp -> {
            if (Character.isUpperCase(cp)) {
                sb.append(lower(new String(Character.toChars(cp))));
            } else if (Character.isLowerCase(cp)) {
                sb.append(upper(new String(Character.toChars(cp))));
            } else {
                sb.appendCodePoint(cp);
            }
        });
        return sb.toString();
    }

    /** Python's predicate methods (isdigit, isalpha, ...): true when non-empty and all code points match. */
    static boolean all(String s, java.util.function.IntPredicate p) {
        return !s.isEmpty() && s.codePoints().allMatch(p);
    }

    static boolean isUpper(String s) {
        return s.codePoints().anyMatch(PyStrings::isCased)
                && s.codePoints().noneMatch(cp -> Character.isLowerCase(cp) || Character.isTitleCase(cp));
    }

    static boolean isLower(String s) {
        return s.codePoints().anyMatch(PyStrings::isCased)
                && s.codePoints().noneMatch(cp -> Character.isUpperCase(cp) || Character.isTitleCase(cp));
    }

    static String pad(String s, long width, String fill, char align) {
        int len = length(s);
        if (width <= len) {
            return s;
        }
        int total = (int) (width - len);
        int left = switch (align) {
            case '<' -> 0;
            case '>' -> total;
            // Python's center puts the extra space on the right unless both lengths are odd
            default -> total / 2 + (total & (int) width & 1);
        };
        return fill.repeat(left) + s + fill.repeat(total - left);
    }

    // ---- formatting -----------------------------------------------------------------------------

    /** {@code fmt % args}: printf-style formatting with Python's conversions s r d i f e g x o c %. */
    static String percentFormat(String fmt, Object args) {
        List<Object> values;
        Object mapping = null;
        if (args instanceof PyTuple t) {
            values = t;
        } else {
            values = Collections.singletonList(args);
            if (args instanceof java.util.Map || args instanceof List || args instanceof Undefined) {
                // Python treats any non-tuple argument with __getitem__ as a mapping: no leftover check
                mapping = args;
            }
        }
        StringBuilder out = new StringBuilder();
        int next = 0;
        int i = 0;
        while (i < fmt.length()) {
            char c = fmt.charAt(i++);
            if (c != '%') {
                out.append(c);
                continue;
            }
            if (i >= fmt.length()) {
                throw new ChatTemplateException("incomplete format");
            }
            Object value = null;
            boolean haveValue = false;
            if (fmt.charAt(i) == '(') {
                int close = fmt.indexOf(')', i);
                if (mapping == null || close < 0) {
                    throw new ChatTemplateException("format requires a mapping");
                }
                value = Access.getitem(mapping, fmt.substring(i + 1, close));
                if (value instanceof Undefined) {
                    throw new ChatTemplateException("KeyError: '" + fmt.substring(i + 1, close) + "'");
                }
                haveValue = true;
                i = close + 1;
            }
            StringBuilder flags = new StringBuilder();
            while (i < fmt.length() && "-+ #0".indexOf(fmt.charAt(i)) >= 0) {
                flags.append(fmt.charAt(i++));
            }
            int widthStart = i;
            while (i < fmt.length() && Character.isDigit(fmt.charAt(i))) {
                i++;
            }
            String width = fmt.substring(widthStart, i);
            String precision = null;
            if (i < fmt.length() && fmt.charAt(i) == '.') {
                int ps = ++i;
                while (i < fmt.length() && Character.isDigit(fmt.charAt(i))) {
                    i++;
                }
                precision = fmt.substring(ps, i);
            }
            if (i >= fmt.length()) {
                throw new ChatTemplateException("incomplete format");
            }
            char conv = fmt.charAt(i++);
            if (conv == '%') {
                out.append('%');
                continue;
            }
            if (!haveValue) {
                if (next >= values.size()) {
                    throw new ChatTemplateException("not enough arguments for format string");
                }
                value = values.get(next++);
            }
            out.append(formatOne(value, conv, flags.toString(), width, precision));
        }
        if (mapping == null && next < values.size()) {
            throw new ChatTemplateException("not all arguments converted during string formatting");
        }
        return out.toString();
    }

    private static String formatOne(Object value, char conv, String flags, String width, String precision) {
        String body = switch (conv) {
            case 's' -> PyRepr.str(value);
            case 'r', 'a' -> PyRepr.repr(value);
            case 'd', 'i', 'u' -> Long.toString(PyOps.toLongTruncating(value));
            case 'x' -> Long.toHexString(PyOps.toLongTruncating(value));
            case 'X' -> Long.toHexString(PyOps.toLongTruncating(value)).toUpperCase(Locale.ROOT);
            case 'o' -> Long.toOctalString(PyOps.toLongTruncating(value));
            case 'c' -> value instanceof String s ? s : new String(Character.toChars((int) PyOps.toLong(value)));
            case 'f', 'F', 'e', 'E', 'g', 'G' -> {
                String javaFmt = "%" + (flags.contains("+") ? "+" : "") + "." + (precision == null ? "6" : precision) + conv;
                String r = String.format(Locale.ROOT, javaFmt, PyOps.toDouble(value));
                yield conv == 'e' || conv == 'E' ? fixExponent(r) : r;
            }
            default -> throw new ChatTemplateException("unsupported format character '" + conv + "'");
        };
        if (precision != null && (conv == 's' || conv == 'r')) {
            int p = Integer.parseInt(precision);
            if (length(body) > p) {
                body = body.substring(0, body.offsetByCodePoints(0, p));
            }
        }
        if (!width.isEmpty()) {
            long w = Long.parseLong(width);
            boolean zero = flags.contains("0") && !flags.contains("-") && conv != 's' && conv != 'r';
            if (zero && length(body) < w) {
                boolean negative = body.startsWith("-") || body.startsWith("+");
                String digits = negative ? body.substring(1) : body;
                body = (negative ? body.substring(0, 1) : "") + "0".repeat((int) (w - length(body))) + digits;
            } else {
                body = pad(body, w, " ", flags.contains("-") ? '<' : '>');
            }
        }
        return body;
    }

    /** Java writes e+5 where Python writes e+05. */
    private static String fixExponent(String s) {
        int e = Math.max(s.indexOf('e'), s.indexOf('E'));
        if (e < 0 || e + 2 >= s.length() + 1) {
            return s;
        }
        String exp = s.substring(e + 2);
        return exp.length() < 2 ? s.substring(0, e + 2) + "0" + exp : s;
    }

    /**
     * {@code fmt.format(*args, **kwargs)}: {@code {}}, {@code {0}}, {@code {name}}, {@code {name.attr}},
     * {@code {{}} / {@code }}} and simple format specs (fill, align, width, precision, d/f/s).
     */
    static String format(String fmt, List<Object> args, java.util.Map<String, Object> kwargs) {
        StringBuilder out = new StringBuilder();
        int auto = 0;
        int i = 0;
        while (i < fmt.length()) {
            char c = fmt.charAt(i);
            if (c == '{') {
                if (i + 1 < fmt.length() && fmt.charAt(i + 1) == '{') {
                    out.append('{');
                    i += 2;
                    continue;
                }
                int close = fmt.indexOf('}', i);
                if (close < 0) {
                    throw new ChatTemplateException("Single '{' encountered in format string");
                }
                String field = fmt.substring(i + 1, close);
                String spec = "";
                int colon = field.indexOf(':');
                if (colon >= 0) {
                    spec = field.substring(colon + 1);
                    field = field.substring(0, colon);
                }
                int bang = field.indexOf('!');
                char conversion = 0;
                if (bang >= 0) {
                    conversion = field.length() > bang + 1 ? field.charAt(bang + 1) : 0;
                    field = field.substring(0, bang);
                }
                String head = field;
                String rest = "";
                int dot = indexOfAny(field, ".[");
                if (dot >= 0) {
                    head = field.substring(0, dot);
                    rest = field.substring(dot);
                }
                Object value;
                if (head.isEmpty()) {
                    if (auto >= args.size()) {
                        throw new ChatTemplateException("Replacement index " + auto + " out of range for positional args tuple");
                    }
                    value = args.get(auto++);
                } else if (head.chars().allMatch(Character::isDigit)) {
                    int idx = Integer.parseInt(head);
                    if (idx >= args.size()) {
                        throw new ChatTemplateException("Replacement index " + idx + " out of range for positional args tuple");
                    }
                    value = args.get(idx);
                } else {
                    if (!kwargs.containsKey(head)) {
                        throw new ChatTemplateException("KeyError: '" + head + "'");
                    }
                    value = kwargs.get(head);
                }
                value = resolveFieldPath(value, rest);
                String text = conversion == 'r' ? PyRepr.repr(value) : null;
                out.append(applySpec(text != null ? text : value, spec));
                i = close + 1;
            } else if (c == '}') {
                if (i + 1 < fmt.length() && fmt.charAt(i + 1) == '}') {
                    out.append('}');
                    i += 2;
                    continue;
                }
                throw new ChatTemplateException("Single '}' encountered in format string");
            } else {
                out.append(c);
                i++;
            }
        }
        return out.toString();
    }

    private static int indexOfAny(String s, String chars) {
        for (int i = 0; i < s.length(); i++) {
            if (chars.indexOf(s.charAt(i)) >= 0) {
                return i;
            }
        }
        return -1;
    }

    private static Object resolveFieldPath(Object value, String path) {
        int i = 0;
        while (i < path.length()) {
            if (path.charAt(i) == '.') {
                int j = indexOfAny(path.substring(i + 1), ".[");
                String name = j < 0 ? path.substring(i + 1) : path.substring(i + 1, i + 1 + j);
                value = Access.getattr(value, name);
                i = j < 0 ? path.length() : i + 1 + j;
            } else {
                int close = path.indexOf(']', i);
                String key = path.substring(i + 1, close);
                value = Access.getitem(value, key.chars().allMatch(Character::isDigit) && !key.isEmpty()
                        ? (Object) Long.parseLong(key) : key);
                i = close + 1;
            }
        }
        return value;
    }

    private static String applySpec(Object value, String spec) {
        if (spec.isEmpty()) {
            return PyRepr.str(value);
        }
        int i = 0;
        String fill = " ";
        char align = 0;
        if (spec.length() >= 2 && "<>^".indexOf(spec.charAt(1)) >= 0) {
            fill = spec.substring(0, 1);
            align = spec.charAt(1);
            i = 2;
        } else if ("<>^".indexOf(spec.charAt(0)) >= 0) {
            align = spec.charAt(0);
            i = 1;
        }
        boolean zero = false;
        if (i < spec.length() && spec.charAt(i) == '0') {
            zero = true;
            i++;
        }
        int ws = i;
        while (i < spec.length() && Character.isDigit(spec.charAt(i))) {
            i++;
        }
        long width = i > ws ? Long.parseLong(spec.substring(ws, i)) : 0;
        String precision = null;
        if (i < spec.length() && spec.charAt(i) == '.') {
            int ps = ++i;
            while (i < spec.length() && Character.isDigit(spec.charAt(i))) {
                i++;
            }
            precision = spec.substring(ps, i);
        }
        char type = i < spec.length() ? spec.charAt(i) : 0;
        String body;
        boolean numeric = value instanceof Number || value instanceof Boolean;
        if (type == 'f' || type == 'F' || type == 'e' || type == 'g' || (type == 0 && precision != null && numeric)) {
            body = formatOne(value, type == 0 ? 'g' : type, "", "", precision == null ? "6" : precision);
        } else if (type == 'd') {
            body = Long.toString(PyOps.toLong(value));
        } else {
            body = PyRepr.str(value);
            if (precision != null) {
                int p = Integer.parseInt(precision);
                if (length(body) > p) {
                    body = body.substring(0, body.offsetByCodePoints(0, p));
                }
            }
        }
        if (zero && align == 0) {
            fill = "0";
            align = '>';
        }
        if (align == 0) {
            align = numeric ? '>' : '<';
        }
        return pad(body, width, fill, align);
    }
}

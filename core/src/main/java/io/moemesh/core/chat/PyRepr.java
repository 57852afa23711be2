package io.moemesh.core.chat;

import java.util.List;
import java.util.Map;

/**
 * Python's {@code str()} and {@code repr()}: what {@code {{ value }}} prints. Chat templates mostly
 * print strings, but a template that prints a number, a boolean or (by mistake) a list must show
 * {@code 1.0}, {@code True}, {@code ['a', 1]} as transformers does.
 */
final class PyRepr {

    private PyRepr() {
    }

    static String str(Object v) {
        if (v instanceof String s) {
            return s;
        }
        if (v instanceof Undefined) {
            return "";
        }
        return repr(v);
    }

    static String repr(Object v) {
        if (v == null) {
            return "None";
        }
        if (v instanceof String s) {
            return reprString(s);
        }
        if (v instanceof Boolean b) {
            return b ? "True" : "False";
        }
        if (v instanceof Double || v instanceof Float) {
            return floatRepr(((Number) v).doubleValue());
        }
        if (v instanceof Number) {
            return v.toString();
        }
        if (v instanceof PyTuple t) {
            StringBuilder sb = new StringBuilder("(");
            appendItems(sb, t);
            return sb.append(t.size() == 1 ? ",)" : ")").toString();
        }
        if (v instanceof List<?> l) {
            StringBuilder sb = new StringBuilder("[");
            appendItems(sb, l);
            return sb.append(']').toString();
        }
        if (v instanceof Map<?, ?> m) {
            return reprDict(m);
        }
        if (v instanceof Undefined) {
            return "Undefined";
        }
        if (v instanceof Namespace ns) {
            return "<Namespace " + reprDict(ns.attributes()) + ">";
        }
        if (v instanceof Macro m) {
            return "<Macro '" + m.name() + "'>";
        }
        if (v instanceof BoundMethod b) {
            return "<built-in method " + b.name() + " of " + PyOps.typeName(b.self()) + " object>";
        }
        return v.toString();
    }

    private static void appendItems(StringBuilder sb, List<?> items) {
        for (int i = 0; i < items.size(); i++) {
            if (i > 0) {
                sb.append(", ");
            }
            sb.append(repr(items.get(i)));
        }
    }

    private static String reprDict(Map<?, ?> m) {
        StringBuilder sb = new StringBuilder("{");
        boolean first = true;
        for (Map.Entry<?, ?> e : m.entrySet()) {
            if (!first) {
                sb.append(", ");
            }
            first = false;
            sb.append(repr(e.getKey())).append(": ").append(repr(e.getValue()));
        }
        return sb.append('}').toString();
    }

    /** Python's repr of a str: single quotes unless the text has ' but no ", escapes for the rest. */
    static String reprString(String s) {
        char quote = s.indexOf('\'') >= 0 && s.indexOf('"') < 0 ? '"' : '\'';
        StringBuilder sb = new StringBuilder(s.length() + 2).append(quote);
        s.codePoints().forEach(cp -> {
            if (cp == quote || cp == '\\') {
                sb.append('\\').appendCodePoint(cp);
            } else if (cp == '\n') {
                sb.append("\\n");
            } else if (cp == '\r') {
                sb.append("\\r");
            } else if (cp == '\t') {
                sb.append("\\t");
            } else if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && !isPrintable(cp))) {
                if (cp < 0x100) {
                    sb.append(String.format("\\x%02x", cp));
                } else if (cp < 0x10000) {
                    sb.append(String.format("\\u%04x", cp));
                } else {
                    sb.append(String.format("\\U%08x", cp));
                }
            } else {
                sb.appendCodePoint(cp);
            }
        });
        return sb.append(quote).toString();
    }

    /** A one-digit decimal (digits, decpt) that parses back to x, nearest first, or null. */
    private static String[] shorterRoundTrip(double x, String twoDigits, int decpt) {
        int value = Integer.parseInt(twoDigits);
        int down = value / 10;
        int up = down + 1;
        int[] order = value % 10 >= 5 ? new int[] {up, down} : new int[] {down, up};
        for (int candidate : order) {
            if (candidate == 0) {
                continue;
            }
            String digit = candidate == 10 ? "1" : Integer.toString(candidate);
            int exp = candidate == 10 ? decpt : decpt - 1; // value = digit * 10^exp
            if (Double.parseDouble(digit + "E" + exp) == x) {
                return new String[] {digit, Integer.toString(exp + 1)};
            }
        }
        return null;
    }

    /** Python's str.isprintable for one code point: not a control, format, separator or unassigned. */
    private static boolean isPrintable(int cp) {
        return switch (Character.getType(cp)) {
            case Character.CONTROL, Character.FORMAT, Character.SURROGATE, Character.PRIVATE_USE,
                 Character.UNASSIGNED, Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR,
                 Character.SPACE_SEPARATOR -> false;
            default -> true;
        };
    }

    /**
     * Python's float repr: the shortest digits that round-trip (which Java's Double.toString also
     * produces since JDK 19), laid out Python's way: positional for exponents -4..15, otherwise
     * {@code 1e+16} / {@code 1.5e-05}, and always a ".0" on integral values.
     */
    static String floatRepr(double d) {
        if (Double.isNaN(d)) {
            return "nan";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? "inf" : "-inf";
        }
        if (d == 0) {
            return (1 / d < 0) ? "-0.0" : "0.0";
        }
        String j = Double.toString(Math.abs(d));
        int e = j.indexOf('E');
        int exp = e >= 0 ? Integer.parseInt(j.substring(e + 1)) : 0;
        String mantissa = e >= 0 ? j.substring(0, e) : j;
        int dot = mantissa.indexOf('.');
        String digits = mantissa.substring(0, dot) + mantissa.substring(dot + 1);
        int decpt = dot + exp; // value = 0.DIGITS * 10^decpt
        int lead = 0;
        while (lead < digits.length() - 1 && digits.charAt(lead) == '0') {
            lead++;
        }
        digits = digits.substring(lead);
        decpt -= lead;
        int end = digits.length();
        while (end > 1 && digits.charAt(end - 1) == '0') {
            end--;
        }
        digits = digits.substring(0, end);
        if (digits.length() == 2) {
            // Java never prints fewer than two digits; Python prints one when one round-trips
            // (only possible for subnormals such as 5e-324, which Java writes 4.9E-324)
            String[] oneDigit = shorterRoundTrip(Math.abs(d), digits, decpt);
            if (oneDigit != null) {
                digits = oneDigit[0];
                decpt = Integer.parseInt(oneDigit[1]);
            }
        }
        StringBuilder sb = new StringBuilder();
        if (d < 0) {
            sb.append('-');
        }
        if (decpt > -4 && decpt <= 16) {
            if (decpt <= 0) {
                sb.append("0.").append("0".repeat(-decpt)).append(digits);
            } else if (decpt >= digits.length()) {
                sb.append(digits).append("0".repeat(decpt - digits.length())).append(".0");
            } else {
                sb.append(digits, 0, decpt).append('.').append(digits.substring(decpt));
            }
        } else {
            sb.append(digits.charAt(0));
            if (digits.length() > 1) {
                sb.append('.').append(digits.substring(1));
            }
            int x = decpt - 1;
            sb.append('e').append(x < 0 ? '-' : '+');
            String xs = Integer.toString(Math.abs(x));
            sb.append(xs.length() < 2 ? "0" + xs : xs);
        }
        return sb.toString();
    }
}

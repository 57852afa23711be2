package io.moemesh.core.chat;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Splits a template into data runs and the tokens inside {@code {{ }}} and {@code {% %}}, following
 * jinja2's lexer rule by rule, because whitespace handling is where chat templates are most fragile:
 *
 * <ul>
 *   <li>{@code {%-} / {@code {{-} / {@code {#-} strip all whitespace before the tag, {@code -%}} etc.
 *       all whitespace after it;</li>
 *   <li>trim_blocks (on in transformers): the first newline after a block or comment tag is dropped,
 *       unless the tag ends with {@code +%}};</li>
 *   <li>lstrip_blocks (on in transformers): spaces and tabs between the start of a line and a block or
 *       comment tag are dropped, unless the tag starts with {@code {%+}; never for {@code {{ }}}.</li>
 * </ul>
 *
 * Comments vanish, {@code {% raw %}} bodies become data, and the end of a tag only counts when
 * brackets are balanced, so {@code {{ {'a': 1}}}} lexes as a dict followed by the end marker.
 */
final class Lexer {

    private static final String[] OPERATORS = {
        "//", "**", "==", "!=", ">=", "<=",
        "+", "-", "/", "*", "%", "~", "[", "]", "(", ")", "{", "}", ">", "<", "=", ".", ":", "|", ",", ";"
    };

    private final SourceText source;
    private final String s;
    private final int n;
    private final boolean trimBlocks;
    private final boolean lstripBlocks;
    private final List<Token> tokens = new ArrayList<>();
    private int pos;

    Lexer(SourceText source, boolean trimBlocks, boolean lstripBlocks) {
        this.source = source;
        this.s = source.text();
        this.n = s.length();
        this.trimBlocks = trimBlocks;
        this.lstripBlocks = lstripBlocks;
    }

    List<Token> tokenize() {
        boolean lineStarting = true;
        while (pos < n) {
            int tag = findTagStart(pos);
            if (tag < 0) {
                addText(s.substring(pos), pos);
                pos = n;
                break;
            }
            char kind = s.charAt(tag + 1);
            int p = tag + 2;
            char sign = 0;
            if (p < n && (s.charAt(p) == '-' || s.charAt(p) == '+')) {
                sign = s.charAt(p);
                p++;
            }
            int rawBodyStart = kind == '%' ? matchRawBegin(p) : -1;
            addText(stripBeforeTag(s.substring(pos, tag), sign, kind != '{', lineStarting), pos);
            if (rawBodyStart >= 0) {
                lineStarting = s.charAt(rawBodyStart - 1) == '\n';
                lexRaw(rawBodyStart, tag, lineStarting);
            } else if (kind == '#') {
                lexComment(p, tag);
            } else {
                lexTag(kind, tag, p);
            }
            lineStarting = s.charAt(pos - 1) == '\n';
        }
        tokens.add(new Token(Token.Kind.EOF, "", n));
        return tokens;
    }

    /** The data before a tag, after {@code -} stripping or lstrip_blocks. */
    private String stripBeforeTag(String text, char sign, boolean lstripApplies, boolean lineStarting) {
        if (sign == '-') {
            return PyStrings.rstrip(text, null);
        }
        if (sign != '+' && lstripBlocks && lstripApplies) {
            int lineStart = text.lastIndexOf('\n') + 1;
            if (lineStart > 0 || lineStarting) {
                for (int i = lineStart; i < text.length(); i++) {
                    char c = text.charAt(i);
                    if (c != ' ' && c != '\t') {
                        return text;
                    }
                }
                return text.substring(0, lineStart);
            }
        }
        return text;
    }

    private int findTagStart(int from) {
        for (int i = from; i + 1 < n; i++) {
            if (s.charAt(i) == '{') {
                char c = s.charAt(i + 1);
                if (c == '{' || c == '%' || c == '#') {
                    return i;
                }
            }
        }
        return -1;
    }

    private void addText(String text, int at) {
        if (!text.isEmpty()) {
            tokens.add(new Token(Token.Kind.TEXT, text, at));
        }
    }

    // ---- raw ------------------------------------------------------------------------------------

    /** If {@code {% raw %}} starts here (p is just after "{%" and the sign), where its body begins, else -1. */
    private int matchRawBegin(int p) {
        int i = skipSpace(p);
        if (!s.startsWith("raw", i)) {
            return -1;
        }
        i = skipSpace(i + 3);
        if (s.startsWith("-%}", i)) {
            return skipSpace(i + 3);
        }
        if (s.startsWith("%}", i)) {
            return i + 2; // the raw opening tag is not subject to trim_blocks in jinja2
        }
        return -1;
    }

    private void lexRaw(int bodyStart, int tagPos, boolean lineStarting) {
        if (bodyStart >= n) {
            pos = n; // as for comments, jinja2 stops quietly when the template ends right here
            return;
        }
        for (int i = bodyStart; i + 1 < n; i++) {
            if (s.charAt(i) != '{' || s.charAt(i + 1) != '%') {
                continue;
            }
            int p = i + 2;
            char sign = 0;
            if (p < n && (s.charAt(p) == '-' || s.charAt(p) == '+')) {
                sign = s.charAt(p);
                p++;
            }
            p = skipSpace(p);
            if (!s.startsWith("endraw", p)) {
                continue;
            }
            p = skipSpace(p + 6);
            int end = matchBlockEnd(p);
            if (end < 0) {
                continue;
            }
            addText(stripBeforeTag(s.substring(bodyStart, i), sign, true, lineStarting), bodyStart);
            pos = end;
            return;
        }
        throw source.error("Missing end of raw directive", tagPos);
    }

    // ---- comments -------------------------------------------------------------------------------

    private void lexComment(int bodyStart, int tagPos) {
        if (bodyStart >= n) {
            pos = n; // jinja2's lexer just stops at a comment opener that ends the template
            return;
        }
        int e = s.indexOf("#}", bodyStart);
        if (e < 0) {
            throw source.error("Missing end of comment tag", tagPos);
        }
        char before = e > bodyStart ? s.charAt(e - 1) : 0;
        pos = e + 2;
        if (before == '-') {
            pos = skipSpace(pos);
        } else if (before != '+' && trimBlocks && pos < n && s.charAt(pos) == '\n') {
            pos++;
        }
    }

    // ---- tags -----------------------------------------------------------------------------------

    /** If a block end ({@code %}}, {@code -%}}, {@code +%}}) starts at p, the offset after it (with trimming), else -1. */
    private int matchBlockEnd(int p) {
        if (s.startsWith("-%}", p)) {
            return skipSpace(p + 3);
        }
        if (s.startsWith("+%}", p)) {
            return p + 3;
        }
        if (s.startsWith("%}", p)) {
            int e = p + 2;
            return trimBlocks && e < n && s.charAt(e) == '\n' ? e + 1 : e;
        }
        return -1;
    }

    private int matchVariableEnd(int p) {
        if (s.startsWith("-}}", p)) {
            return skipSpace(p + 3);
        }
        return s.startsWith("}}", p) ? p + 2 : -1;
    }

    private void lexTag(char kind, int tagPos, int p) {
        boolean block = kind == '%';
        tokens.add(new Token(block ? Token.Kind.BLOCK_BEGIN : Token.Kind.VAR_BEGIN, block ? "{%" : "{{", tagPos));
        Deque<Character> brackets = new ArrayDeque<>();
        pos = p;
        while (true) {
            if (pos >= n) {
                throw source.error("Unexpected end of template, expected '" + (block ? "%}" : "}}") + "'", tagPos);
            }
            if (brackets.isEmpty()) {
                int end = block ? matchBlockEnd(pos) : matchVariableEnd(pos);
                if (end >= 0) {
                    tokens.add(new Token(block ? Token.Kind.BLOCK_END : Token.Kind.VAR_END, block ? "%}" : "}}", pos));
                    pos = end;
                    return;
                }
            }
            char c = s.charAt(pos);
            if (PyStrings.isSpace(c)) {
                pos++;
            } else if (c >= '0' && c <= '9') {
                lexNumber();
            } else if (c == '_' || Character.isLetter(c)) {
                int start = pos;
                while (pos < n && (s.charAt(pos) == '_' || Character.isLetterOrDigit(s.charAt(pos)))) {
                    pos++;
                }
                tokens.add(new Token(Token.Kind.NAME, s.substring(start, pos), start));
            } else if (c == '\'' || c == '"') {
                lexString(c);
            } else {
                lexOperator(brackets);
            }
        }
    }

    private void lexOperator(Deque<Character> brackets) {
        for (String op : OPERATORS) {
            if (!s.startsWith(op, pos)) {
                continue;
            }
            char c = op.charAt(0);
            if (op.length() == 1 && (c == '(' || c == '[' || c == '{')) {
                brackets.push(c == '(' ? ')' : c == '[' ? ']' : '}');
            } else if (op.length() == 1 && (c == ')' || c == ']' || c == '}')) {
                if (brackets.isEmpty()) {
                    throw source.error("unexpected '" + c + "'", pos);
                }
                char expected = brackets.pop();
                if (expected != c) {
                    throw source.error("unexpected '" + c + "', expected '" + expected + "'", pos);
                }
            }
            tokens.add(new Token(Token.Kind.OP, op, pos));
            pos += op.length();
            return;
        }
        throw source.error("unexpected char '" + s.charAt(pos) + "'", pos);
    }

    /** jinja2's float_re and integer_re, underscores and 0x/0o/0b included. */
    private void lexNumber() {
        int start = pos;
        boolean afterDot = start > 0 && s.charAt(start - 1) == '.';
        if (!afterDot) {
            int i = digitsWithUnderscores(start);
            boolean isFloat = false;
            if (i < n && s.charAt(i) == '.' && i + 1 < n && isDigit(s.charAt(i + 1))) {
                i = digitsWithUnderscores(i + 1);
                isFloat = true;
            }
            int e = exponentEnd(i);
            if (e > 0) {
                i = e;
                isFloat = true;
            }
            if (isFloat) {
                String text = s.substring(start, i).replace("_", "");
                tokens.add(new Token(Token.Kind.FLOAT, Double.parseDouble(text), start));
                pos = i;
                return;
            }
        }
        char c0 = s.charAt(start);
        char c1 = start + 1 < n ? Character.toLowerCase(s.charAt(start + 1)) : 0;
        int radix = 10;
        int i;
        if (c0 == '0' && (c1 == 'x' || c1 == 'o' || c1 == 'b')) {
            radix = c1 == 'x' ? 16 : c1 == 'o' ? 8 : 2;
            i = start + 2;
            while (i < n && (Character.digit(s.charAt(i), radix) >= 0
                    || (s.charAt(i) == '_' && i + 1 < n && Character.digit(s.charAt(i + 1), radix) >= 0))) {
                i++;
            }
            if (i == start + 2) {
                radix = 10;
                i = start + 1; // just "0"
            }
        } else if (c0 == '0') {
            i = start + 1;
            while (i < n && (s.charAt(i) == '0' || (s.charAt(i) == '_' && i + 1 < n && s.charAt(i + 1) == '0'))) {
                i++;
            }
        } else {
            i = digitsWithUnderscores(start);
        }
        String digits = s.substring(start, i).replace("_", "");
        if (radix != 10) {
            digits = digits.substring(2);
        }
        long value;
        try {
            value = Long.parseLong(digits, radix);
        } catch (NumberFormatException ex) {
            throw source.error("integer literal too large: " + s.substring(start, i), start);
        }
        tokens.add(new Token(Token.Kind.INTEGER, value, start));
        pos = i;
    }

    private int digitsWithUnderscores(int i) {
        while (i < n && (isDigit(s.charAt(i)) || (s.charAt(i) == '_' && i + 1 < n && isDigit(s.charAt(i + 1))))) {
            i++;
        }
        return i;
    }

    private int exponentEnd(int i) {
        if (i >= n || (s.charAt(i) != 'e' && s.charAt(i) != 'E')) {
            return -1;
        }
        int j = i + 1;
        if (j < n && (s.charAt(j) == '+' || s.charAt(j) == '-')) {
            j++;
        }
        if (j >= n || !isDigit(s.charAt(j))) {
            return -1;
        }
        return digitsWithUnderscores(j);
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private void lexString(char quote) {
        int start = pos;
        int i = pos + 1;
        while (i < n && s.charAt(i) != quote) {
            i += s.charAt(i) == '\\' ? 2 : 1;
        }
        if (i >= n) {
            throw source.error("unterminated string literal", start);
        }
        String raw = s.substring(start + 1, i);
        tokens.add(new Token(Token.Kind.STRING, unescape(raw, start), start));
        pos = i + 1;
    }

    /** Python's "unicode-escape" decoding, which jinja2 applies to string literals. */
    private String unescape(String raw, int at) {
        if (raw.indexOf('\\') < 0) {
            return raw;
        }
        StringBuilder out = new StringBuilder(raw.length());
        int i = 0;
        while (i < raw.length()) {
            char c = raw.charAt(i);
            if (c != '\\' || i + 1 >= raw.length()) {
                out.append(c);
                i++;
                continue;
            }
            char e = raw.charAt(i + 1);
            i += 2;
            switch (e) {
                case '\n' -> { } // backslash-newline is a line continuation
                case '\\' -> out.append('\\');
                case '\'' -> out.append('\'');
                case '"' -> out.append('"');
                case 'a' -> out.append('\u0007');
                case 'b' -> out.append('\b');
                case 'f' -> out.append('\f');
                case 'n' -> out.append('\n');
                case 'r' -> out.append('\r');
                case 't' -> out.append('\t');
                case 'v' -> out.append('\u000b');
                case 'x', 'u', 'U' -> {
                    int len = e == 'x' ? 2 : e == 'u' ? 4 : 8;
                    if (i + len > raw.length()) {
                        throw source.error("truncated \\" + e + " escape in string literal", at);
                    }
                    int cp;
                    try {
                        cp = Integer.parseInt(raw.substring(i, i + len), 16);
                    } catch (NumberFormatException ex) {
                        throw source.error("malformed \\" + e + " escape in string literal", at);
                    }
                    if (!Character.isValidCodePoint(cp)) {
                        throw source.error("illegal Unicode character in string literal", at);
                    }
                    out.appendCodePoint(cp);
                    i += len;
                }
                case 'N' -> {
                    int close = raw.indexOf('}', i);
                    if (i >= raw.length() || raw.charAt(i) != '{' || close < 0) {
                        throw source.error("malformed \\N character escape", at);
                    }
                    try {
                        out.appendCodePoint(Character.codePointOf(raw.substring(i + 1, close)));
                    } catch (IllegalArgumentException ex) {
                        throw source.error("unknown Unicode character name", at);
                    }
                    i = close + 1;
                }
                default -> {
                    if (e >= '0' && e <= '7') {
                        int value = e - '0';
                        int digits = 1;
                        while (digits < 3 && i < raw.length() && raw.charAt(i) >= '0' && raw.charAt(i) <= '7') {
                            value = value * 8 + (raw.charAt(i) - '0');
                            i++;
                            digits++;
                        }
                        out.append((char) value);
                    } else {
                        out.append('\\').append(e); // Python keeps unknown escapes verbatim
                    }
                }
            }
        }
        return out.toString();
    }

    private int skipSpace(int i) {
        while (i < n && PyStrings.isSpace(s.charAt(i))) {
            i++;
        }
        return i;
    }
}

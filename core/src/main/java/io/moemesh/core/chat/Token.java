package io.moemesh.core.chat;

/**
 * One lexical token. {@code value} is the decoded payload: the text of a data run, the unescaped
 * contents of a string literal, a {@code Long} or {@code Double} for numbers, the identifier or the
 * operator spelling otherwise. {@code pos} is the offset in the normalised source.
 */
record Token(Kind kind, Object value, int pos) {

    enum Kind {
        TEXT, VAR_BEGIN, VAR_END, BLOCK_BEGIN, BLOCK_END, NAME, STRING, INTEGER, FLOAT, OP, EOF
    }

    String text() {
        return String.valueOf(value);
    }

    boolean is(Kind k) {
        return kind == k;
    }

    boolean isOp(String op) {
        return kind == Kind.OP && op.equals(value);
    }

    boolean isName(String name) {
        return kind == Kind.NAME && name.equals(value);
    }

    /** How jinja2 names a token in "expected ..., got ..." messages. */
    String describe() {
        return switch (kind) {
            case TEXT -> "template data";
            case VAR_BEGIN -> "begin of print statement";
            case VAR_END -> "end of print statement";
            case BLOCK_BEGIN -> "begin of statement block";
            case BLOCK_END -> "end of statement block";
            case EOF -> "end of template";
            default -> text();
        };
    }
}

package io.moemesh.core.chat;

/**
 * A chat template could not be parsed or rendered.
 *
 * <p>Syntax errors and runtime errors (an undefined value used in arithmetic, a type error, ...) carry
 * the 1-based line and column of the offending construct, and {@link #getMessage()} names them so
 * that whoever ships a broken template can find the spot. An error the template raised on purpose
 * through {@code raise_exception(msg)} is different: its message is meant for the API client
 * ("Conversation roles must alternate ..."), so {@link #getMessage()} is exactly that text and
 * {@link #raisedByTemplate()} is true.
 */
public class ChatTemplateException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String detail;
    private final int line;
    private final int column;
    private final boolean raisedByTemplate;

    public ChatTemplateException(String detail) {
        this(detail, -1, -1, false, null);
    }

    public ChatTemplateException(String detail, Throwable cause) {
        this(detail, -1, -1, false, cause);
    }

    ChatTemplateException(String detail, int line, int column, boolean raisedByTemplate, Throwable cause) {
        super(format(detail, line, column, raisedByTemplate), cause);
        this.detail = detail;
        this.line = line;
        this.column = column;
        this.raisedByTemplate = raisedByTemplate;
    }

    /** An error raised by the template itself via {@code raise_exception(message)}. */
    static ChatTemplateException raised(String message) {
        return new ChatTemplateException(message, -1, -1, true, null);
    }

    private static String format(String detail, int line, int column, boolean raised) {
        if (raised || line < 1) {
            return detail;
        }
        return detail + " (line " + line + ", column " + column + ")";
    }

    /** The message without the location suffix. */
    public String detail() {
        return detail;
    }

    /** 1-based line in the template source, or -1 when unknown. */
    public int line() {
        return line;
    }

    /** 1-based column in the template source, or -1 when unknown. */
    public int column() {
        return column;
    }

    /** True when the template called {@code raise_exception}. */
    public boolean raisedByTemplate() {
        return raisedByTemplate;
    }

    boolean hasLocation() {
        return line >= 1;
    }

    /** This error with a location attached, unless it already has one (the innermost location wins). */
    ChatTemplateException locatedAt(SourceText source, int offset) {
        if (hasLocation() || offset < 0) {
            return this;
        }
        ChatTemplateException located = new ChatTemplateException(
                detail, source.line(offset), source.column(offset), raisedByTemplate, getCause());
        located.setStackTrace(getStackTrace());
        return located;
    }
}

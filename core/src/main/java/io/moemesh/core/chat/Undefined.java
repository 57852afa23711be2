package io.moemesh.core.chat;

/**
 * jinja2's default {@code Undefined}: what a missing variable, key, attribute or index evaluates to.
 *
 * <p>It is lenient where jinja2 is lenient (it prints as '', is falsy, iterates as empty, has length 0,
 * passes {@code is defined} checks as false, equals only another undefined) and strict where jinja2
 * is strict: attribute or item access, arithmetic, calling it or serialising it raise
 * {@link ChatTemplateException} with jinja2's message, e.g. {@code 'x' is undefined} or
 * {@code 'dict object' has no attribute 'foo'}.
 */
final class Undefined {

    private final String message;

    private Undefined(String message) {
        this.message = message;
    }

    /** A variable that is not in any scope. */
    static Undefined name(String name) {
        return new Undefined("'" + name + "' is undefined");
    }

    /** {@code obj.attr} / {@code obj['attr']} that found nothing. */
    static Undefined attribute(Object owner, String attr) {
        return new Undefined("'" + objectTypeRepr(owner) + "' has no attribute '" + attr + "'");
    }

    /** {@code obj[key]} with a non-string key that found nothing. */
    static Undefined element(Object owner, Object key) {
        return new Undefined(objectTypeRepr(owner) + " has no element " + PyRepr.repr(key));
    }

    /** An undefined with a free-form hint, e.g. the {@code first} of an empty sequence. */
    static Undefined hint(String message) {
        return new Undefined(message);
    }

    String message() {
        return message;
    }

    /** The error jinja2 raises when an undefined value is used for more than printing or testing. */
    ChatTemplateException error() {
        return new ChatTemplateException(message);
    }

    private static String objectTypeRepr(Object o) {
        return o == null ? "None" : PyOps.typeName(o) + " object";
    }

    @Override
    public String toString() {
        return "";
    }
}

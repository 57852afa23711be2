package io.moemesh.core.chat;

import java.util.List;

/**
 * The parser's cursor over the lexer's tokens, with jinja2's "expected token ..., got ..." errors
 * located at the offending token.
 */
final class TokenStream {

    private final SourceText source;
    private final List<Token> tokens;
    private int index;

    TokenStream(SourceText source, List<Token> tokens) {
        this.source = source;
        this.tokens = tokens;
    }

    Token current() {
        return tokens.get(index);
    }

    Token look() {
        return tokens.get(Math.min(index + 1, tokens.size() - 1));
    }

    Token next() {
        Token t = tokens.get(index);
        if (index < tokens.size() - 1) {
            index++;
        }
        return t;
    }

    boolean skipOp(String op) {
        if (current().isOp(op)) {
            next();
            return true;
        }
        return false;
    }

    boolean skipName(String name) {
        if (current().isName(name)) {
            next();
            return true;
        }
        return false;
    }

    Token expectOp(String op) {
        if (!current().isOp(op)) {
            throw fail("expected token '" + op + "', got " + describe(current()), current());
        }
        return next();
    }

    Token expectName() {
        if (!current().is(Token.Kind.NAME)) {
            throw fail("expected token 'name', got " + describe(current()), current());
        }
        return next();
    }

    Token expectName(String name) {
        if (!current().isName(name)) {
            throw fail("expected token '" + name + "', got " + describe(current()), current());
        }
        return next();
    }

    void expect(Token.Kind kind, String what) {
        if (!current().is(kind)) {
            if (current().is(Token.Kind.EOF)) {
                throw fail("unexpected end of template, expected '" + what + "'", current());
            }
            throw fail("expected token '" + what + "', got " + describe(current()), current());
        }
        next();
    }

    static String describe(Token t) {
        return t.is(Token.Kind.EOF) ? "end of template" : "'" + t.describe() + "'";
    }

    ChatTemplateException fail(String message, Token at) {
        return source.error(message, at.pos());
    }
}

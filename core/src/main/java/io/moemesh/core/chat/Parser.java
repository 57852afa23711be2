package io.moemesh.core.chat;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Set;

/**
 * Statement half of the parser (expressions are {@link ExpressionParser}'s), following jinja2's
 * {@code parser.py}: if/elif/else, for (with filter, recursive, else), set (names, tuples,
 * {@code ns.attr}, block set with filters), macro, call, filter, with, print, break/continue
 * (transformers enables loopcontrols) and transformers' generation/endgeneration. Any other tag is
 * "Encountered unknown tag", with jinja2's hint about which end tag was expected.
 */
final class Parser {

    private final TokenStream ts;
    private final ExpressionParser expressions;
    private int loopDepth;
    private final Deque<String> tagStack = new ArrayDeque<>();
    private final Deque<List<String>> endTagStack = new ArrayDeque<>();

    Parser(SourceText source, List<Token> tokens) {
        this.ts = new TokenStream(source, tokens);
        this.expressions = new ExpressionParser(ts);
    }

    List<Node> parseTemplate() {
        List<Node> body = subparse(null);
        if (!ts.current().is(Token.Kind.EOF)) {
            throw ts.fail("unexpected " + TokenStream.describe(ts.current()), ts.current());
        }
        return body;
    }

    /** Parses nodes until a block tag whose name is in endTags (left as the current token) or EOF. */
    private List<Node> subparse(List<String> endTags) {
        List<Node> body = new ArrayList<>();
        while (true) {
            Token t = ts.current();
            switch (t.kind()) {
                case TEXT -> {
                    ts.next();
                    body.add(new Node.Text(t.pos(), (String) t.value()));
                }
                case VAR_BEGIN -> {
                    ts.next();
                    Expr e = expressions.parseTuple(false, true, null, false);
                    ts.expect(Token.Kind.VAR_END, "}}");
                    body.add(new Node.Output(t.pos(), e));
                }
                case BLOCK_BEGIN -> {
                    ts.next();
                    if (endTags != null && ts.current().is(Token.Kind.NAME) && endTags.contains(ts.current().text())) {
                        return body;
                    }
                    body.addAll(parseStatement());
                    ts.expect(Token.Kind.BLOCK_END, "%}");
                }
                case EOF -> {
                    return body;
                }
                default -> throw ts.fail("unexpected " + TokenStream.describe(t), t);
            }
        }
    }

    /** jinja2's parse_statements: optional colon, end of the opening tag, body up to one of endTags. */
    private List<Node> parseBody(List<String> endTags, boolean dropNeedle) {
        ts.skipOp(":");
        ts.expect(Token.Kind.BLOCK_END, "%}");
        endTagStack.push(endTags);
        List<Node> body;
        try {
            body = subparse(endTags);
        } finally {
            endTagStack.pop();
        }
        if (ts.current().is(Token.Kind.EOF)) {
            throw ts.fail("Unexpected end of template." + lookingFor(endTags, null), ts.current());
        }
        if (dropNeedle) {
            ts.next();
        }
        return body;
    }

    /**
     * jinja2's wording for a missing or unexpected end tag: what the innermost open block is waiting
     * for, or a nesting hint when an outer block would have accepted the tag.
     */
    private String lookingFor(List<String> innermost, String unknownTag) {
        List<String> current = innermost != null ? innermost : endTagStack.peek();
        StringBuilder msg = new StringBuilder();
        if (current != null) {
            String looking = "'" + String.join("' or '", current) + "'";
            boolean expectedSomewhere = unknownTag != null
                    && endTagStack.stream().anyMatch(level -> level.contains(unknownTag));
            if (expectedSomewhere) {
                msg.append(" You probably made a nesting mistake. Jinja is expecting this tag, but currently looking for ")
                        .append(looking).append('.');
            } else {
                msg.append(" Jinja was looking for the following tags: ").append(looking).append('.');
            }
        }
        if (!tagStack.isEmpty()) {
            msg.append(" The innermost block that needs to be closed is '").append(tagStack.peek()).append("'.");
        }
        return msg.toString();
    }

    private List<Node> parseStatement() {
        Token t = ts.current();
        if (!t.is(Token.Kind.NAME)) {
            throw ts.fail("tag name expected", t);
        }
        String tag = t.text();
        tagStack.push(tag);
        try {
            return switch (tag) {
                case "if" -> List.of(parseIf());
                case "for" -> List.of(parseFor());
                case "set" -> List.of(parseSet());
                case "macro" -> List.of(parseMacro());
                case "call" -> List.of(parseCallBlock());
                case "filter" -> List.of(parseFilterBlock());
                case "with" -> List.of(parseWith());
                case "print" -> parsePrint();
                case "generation" -> List.of(parseGeneration());
                case "break", "continue" -> List.of(parseLoopControl(tag));
                default -> {
                    tagStack.pop();
                    String msg = "Encountered unknown tag '" + tag + "'.";
                    throw ts.fail(msg + lookingFor(null, tag), t);
                }
            };
        } finally {
            if (!tagStack.isEmpty() && tagStack.peek().equals(tag)) {
                tagStack.pop();
            }
        }
    }

    private Node parseIf() {
        int pos = ts.next().pos();
        List<Expr> tests = new ArrayList<>();
        List<List<Node>> bodies = new ArrayList<>();
        List<Node> orElse = List.of();
        while (true) {
            tests.add(expressions.parseTuple(false, false, null, false));
            bodies.add(parseBody(List.of("elif", "else", "endif"), false));
            String which = ts.next().text();
            if (which.equals("elif")) {
                continue;
            }
            if (which.equals("else")) {
                orElse = parseBody(List.of("endif"), true);
            }
            break;
        }
        return new Node.If(pos, tests, bodies, orElse);
    }

    private Node parseFor() {
        int pos = ts.next().pos();
        Node.Target target = parseAssignTarget(Set.of("in"), false);
        ts.expectName("in");
        Expr iterable = expressions.parseTuple(false, false, Set.of("recursive"), false);
        Expr condition = ts.skipName("if") ? expressions.parseExpression(true) : null;
        boolean recursive = ts.skipName("recursive");
        loopDepth++;
        List<Node> body;
        try {
            body = parseBody(List.of("endfor", "else"), false);
        } finally {
            loopDepth--;
        }
        List<Node> orElse = List.of();
        if (ts.next().text().equals("else")) {
            orElse = parseBody(List.of("endfor"), true);
        }
        return new Node.For(pos, target, iterable, condition, recursive, body, orElse);
    }

    private Node parseSet() {
        int pos = ts.next().pos();
        Node.Target target = parseAssignTarget(null, true);
        if (ts.skipOp("=")) {
            return new Node.Assign(pos, target, expressions.parseTuple(false, true, null, false));
        }
        Expr filter = ts.current().isOp("|") ? expressions.parseFilter(null) : null;
        List<Node> body = parseBody(List.of("endset"), true);
        return new Node.AssignBlock(pos, target, filter, body);
    }

    private Node parseMacro() {
        int pos = ts.next().pos();
        String name = ts.expectName().text();
        List<String> params = new ArrayList<>();
        List<Expr> defaults = new ArrayList<>();
        parseSignature(params, defaults);
        int savedDepth = loopDepth;
        loopDepth = 0; // a macro body is not inside the enclosing loop
        try {
            return new Node.MacroDef(pos, name, params, defaults, parseBody(List.of("endmacro"), true));
        } finally {
            loopDepth = savedDepth;
        }
    }

    /** {@code (a, b=default, ...)}; defaults has one entry per parameter, null when there is none. */
    private void parseSignature(List<String> params, List<Expr> defaults) {
        ts.expectOp("(");
        while (!ts.current().isOp(")")) {
            if (!params.isEmpty()) {
                ts.expectOp(",");
                if (ts.current().isOp(")")) {
                    break;
                }
            }
            Token name = ts.expectName();
            params.add(name.text());
            if (ts.skipOp("=")) {
                defaults.add(expressions.parseExpression(true));
            } else {
                boolean earlierDefault = defaults.stream().anyMatch(d -> d != null);
                if (earlierDefault) {
                    throw ts.fail("non-default argument follows default argument", name);
                }
                defaults.add(null);
            }
        }
        ts.expectOp(")");
    }

    private Node parseCallBlock() {
        int pos = ts.next().pos();
        List<String> params = new ArrayList<>();
        List<Expr> defaults = new ArrayList<>();
        if (ts.current().isOp("(")) {
            parseSignature(params, defaults);
        }
        Token at = ts.current();
        Expr call = expressions.parseExpression(true);
        if (!(call instanceof Expr.Call c)) {
            throw ts.fail("expected call", at);
        }
        int savedDepth = loopDepth;
        loopDepth = 0;
        try {
            return new Node.CallBlock(pos, c, params, defaults, parseBody(List.of("endcall"), true));
        } finally {
            loopDepth = savedDepth;
        }
    }

    private Node parseFilterBlock() {
        int pos = ts.next().pos();
        Expr filter = expressions.parseFilter(null, true);
        return new Node.FilterBlock(pos, filter, parseBody(List.of("endfilter"), true));
    }

    private Node parseWith() {
        int pos = ts.next().pos();
        List<Node.Target> targets = new ArrayList<>();
        List<Expr> values = new ArrayList<>();
        while (!ts.current().is(Token.Kind.BLOCK_END)) {
            if (!targets.isEmpty()) {
                ts.expectOp(",");
            }
            targets.add(parseAssignTarget(null, false));
            ts.expectOp("=");
            values.add(expressions.parseExpression(true));
        }
        return new Node.With(pos, targets, values, parseBody(List.of("endwith"), true));
    }

    private List<Node> parsePrint() {
        ts.next();
        List<Node> out = new ArrayList<>();
        while (!ts.current().is(Token.Kind.BLOCK_END)) {
            if (!out.isEmpty()) {
                ts.expectOp(",");
            }
            Token at = ts.current();
            out.add(new Node.Output(at.pos(), expressions.parseExpression(true)));
        }
        return out;
    }

    private Node parseGeneration() {
        int pos = ts.next().pos();
        int savedDepth = loopDepth;
        loopDepth = 0; // jinja2 compiles the body into a caller macro: no break/continue across it
        try {
            return new Node.Generation(pos, parseBody(List.of("endgeneration"), true));
        } finally {
            loopDepth = savedDepth;
        }
    }

    private Node parseLoopControl(String tag) {
        Token t = ts.next();
        if (loopDepth == 0) {
            throw ts.fail("'" + tag + "' outside of a loop", t);
        }
        return tag.equals("break") ? new Node.Break(t.pos()) : new Node.Continue(t.pos());
    }

    /**
     * jinja2's parse_assign_target: {@code ns.attr} (set only), or a name / tuple of names parsed as
     * primaries, e.g. {@code k, v} or {@code (a, (b, c))}.
     */
    private Node.Target parseAssignTarget(Set<String> extraEnd, boolean withNamespace) {
        Token start = ts.current();
        if (withNamespace && start.is(Token.Kind.NAME) && ts.look().isOp(".")) {
            ts.next();
            ts.next();
            return new Node.Target.NamespaceAttr(start.text(), ts.expectName().text());
        }
        return toTarget(expressions.parseTuple(true, false, extraEnd, false), start);
    }

    private Node.Target toTarget(Expr e, Token at) {
        if (e instanceof Expr.Name n) {
            return new Node.Target.Name(n.name());
        }
        if (e instanceof Expr.TupleLit t) {
            List<Node.Target> items = new ArrayList<>();
            for (Expr item : t.items()) {
                items.add(toTarget(item, at));
            }
            return new Node.Target.Tuple(items);
        }
        String kind = e.getClass().getSimpleName().toLowerCase();
        throw ts.fail("can't assign to '" + kind + "'", at);
    }
}

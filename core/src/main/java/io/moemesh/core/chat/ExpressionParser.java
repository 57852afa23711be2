package io.moemesh.core.chat;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Expression half of the parser, mirroring jinja2's {@code parser.py} method for method so that
 * precedence and the odd corners agree: {@code **} is left-associative, unary minus binds tighter
 * than {@code **} ({@code -2 ** 2 == 4}), filters and tests bind tighter than arithmetic
 * ({@code 'a' + x | trim} trims x only), {@code a if b} without else is allowed, {@code is not}
 * wraps the test in {@code not}, adjacent string literals concatenate. Unknown filters and tests are
 * syntax errors, as jinja2 reports them at compile time.
 */
final class ExpressionParser {

    private static final Set<String> COMPARE_OPS = Set.of("==", "!=", "<", "<=", ">", ">=");

    private final TokenStream ts;

    ExpressionParser(TokenStream ts) {
        this.ts = ts;
    }

    Expr parseExpression(boolean withCondexpr) {
        return withCondexpr ? parseCondexpr() : parseOr();
    }

    Expr parseTuple(boolean simplified, boolean withCondexpr, Set<String> extraEnd, boolean explicitParens) {
        int pos = ts.current().pos();
        List<Expr> items = new ArrayList<>();
        boolean isTuple = false;
        while (true) {
            if (!items.isEmpty()) {
                ts.expectOp(",");
            }
            if (isTupleEnd(extraEnd)) {
                break;
            }
            items.add(simplified ? parsePrimary() : parseExpression(withCondexpr));
            if (ts.current().isOp(",")) {
                isTuple = true;
            } else {
                break;
            }
        }
        if (!isTuple) {
            if (!items.isEmpty()) {
                return items.get(0);
            }
            if (!explicitParens) {
                throw ts.fail("Expected an expression, got " + TokenStream.describe(ts.current()), ts.current());
            }
        }
        return new Expr.TupleLit(pos, items);
    }

    private boolean isTupleEnd(Set<String> extraEnd) {
        Token t = ts.current();
        if (t.is(Token.Kind.VAR_END) || t.is(Token.Kind.BLOCK_END) || t.isOp(")")) {
            return true;
        }
        return extraEnd != null && t.is(Token.Kind.NAME) && extraEnd.contains(t.text());
    }

    private Expr parseCondexpr() {
        int pos = ts.current().pos();
        Expr expr1 = parseOr();
        while (ts.skipName("if")) {
            Expr test = parseOr();
            Expr orElse = ts.skipName("else") ? parseCondexpr() : null;
            expr1 = new Expr.CondExpr(pos, test, expr1, orElse);
        }
        return expr1;
    }

    private Expr parseOr() {
        int pos = ts.current().pos();
        Expr left = parseAnd();
        while (ts.skipName("or")) {
            left = new Expr.Or(pos, left, parseAnd());
        }
        return left;
    }

    private Expr parseAnd() {
        int pos = ts.current().pos();
        Expr left = parseNot();
        while (ts.skipName("and")) {
            left = new Expr.And(pos, left, parseNot());
        }
        return left;
    }

    private Expr parseNot() {
        if (ts.current().isName("not")) {
            int pos = ts.next().pos();
            return new Expr.Not(pos, parseNot());
        }
        return parseCompare();
    }

    private Expr parseCompare() {
        int pos = ts.current().pos();
        Expr first = parseMath1();
        List<String> ops = new ArrayList<>();
        List<Expr> operands = new ArrayList<>();
        while (true) {
            Token t = ts.current();
            if (t.is(Token.Kind.OP) && COMPARE_OPS.contains(t.text())) {
                ts.next();
                ops.add(t.text());
            } else if (t.isName("in")) {
                ts.next();
                ops.add("in");
            } else if (t.isName("not") && ts.look().isName("in")) {
                ts.next();
                ts.next();
                ops.add("notin");
            } else {
                break;
            }
            operands.add(parseMath1());
        }
        return ops.isEmpty() ? first : new Expr.Compare(pos, first, ops, operands);
    }

    private Expr parseMath1() {
        int pos = ts.current().pos();
        Expr left = parseConcat();
        while (ts.current().isOp("+") || ts.current().isOp("-")) {
            String op = ts.next().text();
            left = new Expr.Binary(pos, op, left, parseConcat());
        }
        return left;
    }

    private Expr parseConcat() {
        int pos = ts.current().pos();
        List<Expr> parts = new ArrayList<>();
        parts.add(parseMath2());
        while (ts.skipOp("~")) {
            parts.add(parseMath2());
        }
        return parts.size() == 1 ? parts.get(0) : new Expr.Concat(pos, parts);
    }

    private Expr parseMath2() {
        int pos = ts.current().pos();
        Expr left = parsePow();
        while (ts.current().isOp("*") || ts.current().isOp("/") || ts.current().isOp("//") || ts.current().isOp("%")) {
            String op = ts.next().text();
            left = new Expr.Binary(pos, op, left, parsePow());
        }
        return left;
    }

    private Expr parsePow() {
        int pos = ts.current().pos();
        Expr left = parseUnary(true);
        while (ts.skipOp("**")) {
            left = power(pos, left, parseUnary(true));
        }
        return left;
    }

    /**
     * jinja2 folds constant sub-expressions at compile time and writes a negative constant into the
     * generated Python without parentheses, so {@code -3 ** n} (even {@code (-3) ** n}) runs as
     * Python's {@code -(3 ** n)} when n is not constant, while {@code -3 ** 2} folds to 9.
     */
    private static Expr power(int pos, Expr left, Expr right) {
        Object base = constant(left);
        if (constant(right) == NOT_CONSTANT && (base instanceof Long || base instanceof Double)) {
            double d = ((Number) base).doubleValue();
            if (Math.copySign(1.0, d) < 0) {
                Object magnitude = base instanceof Long l ? (Object) (-l) : (Object) (-d);
                return new Expr.Unary(pos, "-", new Expr.Binary(pos, "**", new Expr.Const(pos, magnitude), right));
            }
        }
        return new Expr.Binary(pos, "**", left, right);
    }

    private static final Object NOT_CONSTANT = new Object();

    /** The value of a literal arithmetic expression, or NOT_CONSTANT. */
    private static Object constant(Expr e) {
        try {
            return switch (e) {
                case Expr.Const c -> c.value();
                case Expr.Unary u -> {
                    Object v = constant(u.operand());
                    yield v == NOT_CONSTANT ? v : PyOps.unary(u.op(), v);
                }
                case Expr.Binary b -> {
                    Object l = constant(b.left());
                    Object r = constant(b.right());
                    yield l == NOT_CONSTANT || r == NOT_CONSTANT ? NOT_CONSTANT : PyOps.binary(b.op(), l, r);
                }
                default -> NOT_CONSTANT;
            };
        } catch (ChatTemplateException notFoldable) {
            return NOT_CONSTANT;
        }
    }

    private Expr parseUnary(boolean withFilter) {
        Token t = ts.current();
        Expr node;
        if (t.isOp("-") || t.isOp("+")) {
            ts.next();
            node = new Expr.Unary(t.pos(), t.text(), parseUnary(false));
        } else {
            node = parsePrimary();
        }
        node = parsePostfix(node);
        if (withFilter) {
            node = parseFilterExpr(node);
        }
        return node;
    }

    Expr parsePrimary() {
        Token t = ts.current();
        switch (t.kind()) {
            case NAME -> {
                ts.next();
                return switch (t.text()) {
                    case "true", "True" -> new Expr.Const(t.pos(), Boolean.TRUE);
                    case "false", "False" -> new Expr.Const(t.pos(), Boolean.FALSE);
                    case "none", "None" -> new Expr.Const(t.pos(), null);
                    default -> new Expr.Name(t.pos(), t.text());
                };
            }
            case STRING -> {
                ts.next();
                StringBuilder sb = new StringBuilder((String) t.value());
                while (ts.current().is(Token.Kind.STRING)) {
                    sb.append((String) ts.next().value());
                }
                return new Expr.Const(t.pos(), sb.toString());
            }
            case INTEGER, FLOAT -> {
                ts.next();
                return new Expr.Const(t.pos(), t.value());
            }
            case OP -> {
                switch (t.text()) {
                    case "(" -> {
                        ts.next();
                        Expr e = parseTuple(false, true, null, true);
                        ts.expectOp(")");
                        return e;
                    }
                    case "[" -> {
                        return parseList();
                    }
                    case "{" -> {
                        return parseDict();
                    }
                    default -> throw ts.fail("unexpected " + TokenStream.describe(t), t);
                }
            }
            default -> throw ts.fail("unexpected " + TokenStream.describe(t), t);
        }
    }

    private Expr parseList() {
        int pos = ts.expectOp("[").pos();
        List<Expr> items = new ArrayList<>();
        while (!ts.current().isOp("]")) {
            if (!items.isEmpty()) {
                ts.expectOp(",");
            }
            if (ts.current().isOp("]")) {
                break;
            }
            items.add(parseExpression(true));
        }
        ts.expectOp("]");
        return new Expr.ListLit(pos, items);
    }

    private Expr parseDict() {
        int pos = ts.expectOp("{").pos();
        List<Expr> keys = new ArrayList<>();
        List<Expr> values = new ArrayList<>();
        while (!ts.current().isOp("}")) {
            if (!keys.isEmpty()) {
                ts.expectOp(",");
            }
            if (ts.current().isOp("}")) {
                break;
            }
            keys.add(parseExpression(true));
            ts.expectOp(":");
            values.add(parseExpression(true));
        }
        ts.expectOp("}");
        return new Expr.DictLit(pos, keys, values);
    }

    private Expr parsePostfix(Expr node) {
        while (true) {
            Token t = ts.current();
            if (t.isOp(".") || t.isOp("[")) {
                node = parseSubscript(node);
            } else if (t.isOp("(")) {
                node = new Expr.Call(node.pos(), node, parseCallArgs());
            } else {
                return node;
            }
        }
    }

    private Expr parseFilterExpr(Expr node) {
        while (true) {
            Token t = ts.current();
            if (t.isOp("|")) {
                node = parseFilter(node);
            } else if (t.isName("is")) {
                node = parseTest(node);
            } else if (t.isOp("(")) {
                node = new Expr.Call(node.pos(), node, parseCallArgs());
            } else {
                return node;
            }
        }
    }

    private Expr parseSubscript(Expr node) {
        Token t = ts.next();
        if (t.isOp(".")) {
            Token attr = ts.next();
            if (attr.is(Token.Kind.NAME)) {
                return new Expr.GetAttr(t.pos(), node, attr.text());
            }
            if (attr.is(Token.Kind.INTEGER)) {
                return new Expr.GetItem(t.pos(), node, new Expr.Const(attr.pos(), attr.value()));
            }
            throw ts.fail("expected name or number", attr);
        }
        List<Expr> args = new ArrayList<>();
        while (!ts.current().isOp("]")) {
            if (!args.isEmpty()) {
                ts.expectOp(",");
            }
            args.add(parseSubscribed());
        }
        ts.expectOp("]");
        Expr key = args.size() == 1 ? args.get(0) : new Expr.TupleLit(t.pos(), args);
        return new Expr.GetItem(t.pos(), node, key);
    }

    private Expr parseSubscribed() {
        int pos = ts.current().pos();
        Expr start = null;
        if (!ts.skipOp(":")) {
            Expr e = parseExpression(true);
            if (!ts.current().isOp(":")) {
                return e;
            }
            ts.next();
            start = e;
        }
        Expr stop = null;
        Expr step = null;
        if (!ts.current().isOp(":") && !ts.current().isOp("]") && !ts.current().isOp(",")) {
            stop = parseExpression(true);
        }
        if (ts.skipOp(":") && !ts.current().isOp("]") && !ts.current().isOp(",")) {
            step = parseExpression(true);
        }
        return new Expr.Slice(pos, start, stop, step);
    }

    private Expr.CallArgs parseCallArgs() {
        Token open = ts.expectOp("(");
        List<Expr> positional = new ArrayList<>();
        List<String> kwNames = new ArrayList<>();
        List<Expr> kwValues = new ArrayList<>();
        Expr starArgs = null;
        Expr starKwargs = null;
        boolean requireComma = false;
        while (!ts.current().isOp(")")) {
            if (requireComma) {
                ts.expectOp(",");
                if (ts.current().isOp(")")) {
                    break;
                }
            }
            if (ts.current().isOp("*")) {
                ensure(starArgs == null && starKwargs == null, open);
                ts.next();
                starArgs = parseExpression(true);
            } else if (ts.current().isOp("**")) {
                ensure(starKwargs == null, open);
                ts.next();
                starKwargs = parseExpression(true);
            } else if (ts.current().is(Token.Kind.NAME) && ts.look().isOp("=")) {
                ensure(starKwargs == null, open);
                String key = ts.next().text();
                ts.next();
                kwNames.add(key);
                kwValues.add(parseExpression(true));
            } else {
                ensure(starArgs == null && starKwargs == null && kwNames.isEmpty(), open);
                positional.add(parseExpression(true));
            }
            requireComma = true;
        }
        ts.expectOp(")");
        return new Expr.CallArgs(positional, kwNames, kwValues, starArgs, starKwargs);
    }

    private void ensure(boolean ok, Token at) {
        if (!ok) {
            throw ts.fail("invalid syntax for function call expression", at);
        }
    }

    Expr parseFilter(Expr node) {
        return parseFilter(node, false);
    }

    /** {@code | name(args) | name2 ...}; startInline parses the first filter without a leading pipe. */
    Expr parseFilter(Expr node, boolean startInline) {
        while (ts.current().isOp("|") || startInline) {
            if (!startInline) {
                ts.next();
            }
            startInline = false;
            Token nameTok = ts.expectName();
            String name = nameTok.text();
            while (ts.current().isOp(".")) {
                ts.next();
                name += "." + ts.expectName().text();
            }
            if (!Filters.exists(name)) {
                throw ts.fail("No filter named '" + name + "'.", nameTok);
            }
            Expr.CallArgs args = ts.current().isOp("(") ? parseCallArgs() : Expr.CallArgs.NONE;
            node = new Expr.Filter(nameTok.pos(), node, name, args);
        }
        return node;
    }

    private Expr parseTest(Expr node) {
        Token is = ts.next();
        boolean negated = ts.skipName("not");
        Token nameTok = ts.expectName();
        String name = nameTok.text();
        while (ts.current().isOp(".")) {
            ts.next();
            name += "." + ts.expectName().text();
        }
        if (!Tests.exists(name)) {
            throw ts.fail("No test named '" + name + "'.", nameTok);
        }
        Expr.CallArgs args = Expr.CallArgs.NONE;
        Token t = ts.current();
        if (t.isOp("(")) {
            args = parseCallArgs();
        } else if ((t.is(Token.Kind.NAME) || t.is(Token.Kind.STRING) || t.is(Token.Kind.INTEGER)
                || t.is(Token.Kind.FLOAT) || t.isOp("[") || t.isOp("{"))
                && !t.isName("else") && !t.isName("or") && !t.isName("and")) {
            if (t.isName("is")) {
                throw ts.fail("You cannot chain multiple tests with is", t);
            }
            Expr arg = parsePostfix(parsePrimary());
            args = new Expr.CallArgs(List.of(arg), List.of(), List.of(), null, null);
        }
        Expr test = new Expr.Test(is.pos(), node, name, args);
        return negated ? new Expr.Not(is.pos(), test) : test;
    }
}

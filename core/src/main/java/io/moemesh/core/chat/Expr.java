package io.moemesh.core.chat;

import java.util.List;

/**
 * Expression nodes, one record per jinja2 {@code nodes.Expr} subclass the parser produces. Every node
 * keeps the source offset of its first token so runtime errors can point at it.
 */
sealed interface Expr {

    int pos();

    /** A literal: string, Long, Double, Boolean or null (none). */
    record Const(int pos, Object value) implements Expr { }

    record Name(int pos, String name) implements Expr { }

    record ListLit(int pos, List<Expr> items) implements Expr { }

    record TupleLit(int pos, List<Expr> items) implements Expr { }

    record DictLit(int pos, List<Expr> keys, List<Expr> values) implements Expr { }

    /** {@code target.name}: Python attribute first, then item (jinja2's getattr). */
    record GetAttr(int pos, Expr target, String name) implements Expr { }

    /** {@code target[key]}: item first, then attribute (jinja2's getitem). */
    record GetItem(int pos, Expr target, Expr key) implements Expr { }

    /** {@code start:stop:step} inside a subscript; any part may be null. */
    record Slice(int pos, Expr start, Expr stop, Expr step) implements Expr { }

    record Call(int pos, Expr callee, CallArgs args) implements Expr { }

    /** {@code target | name(args)}; target is null for the filter of {@code {% filter %}} / block set. */
    record Filter(int pos, Expr target, String name, CallArgs args) implements Expr { }

    /** {@code target is name(args)}; {@code is not} is a {@link Not} around it, as in jinja2. */
    record Test(int pos, Expr target, String name, CallArgs args) implements Expr { }

    /** Unary {@code -} or {@code +}. */
    record Unary(int pos, String op, Expr operand) implements Expr { }

    record Not(int pos, Expr operand) implements Expr { }

    /** {@code + - * / // % **}. */
    record Binary(int pos, String op, Expr left, Expr right) implements Expr { }

    record And(int pos, Expr left, Expr right) implements Expr { }

    record Or(int pos, Expr left, Expr right) implements Expr { }

    /** A comparison chain {@code first op1 x1 op2 x2 ...}; ops are {@code == != < <= > >= in notin}. */
    record Compare(int pos, Expr first, List<String> ops, List<Expr> operands) implements Expr { }

    /** {@code a ~ b ~ c}: the str() of each part joined. */
    record Concat(int pos, List<Expr> parts) implements Expr { }

    /** {@code then if test else orElse}; orElse is null when the else part is omitted (yields undefined). */
    record CondExpr(int pos, Expr test, Expr then, Expr orElse) implements Expr { }

    /** Arguments of a call, filter or test: positional, keyword, {@code *args}, {@code **kwargs}. */
    record CallArgs(List<Expr> positional, List<String> keywordNames, List<Expr> keywordValues,
                    Expr starArgs, Expr starKwargs) {
        static final CallArgs NONE = new CallArgs(List.of(), List.of(), List.of(), null, null);
    }
}

package io.moemesh.core.chat;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Evaluates expressions against a scope. The Python semantics live in {@link PyOps}, {@link Access},
 * {@link Filters} and {@link Tests}; this class walks the tree, implements short-circuiting and
 * comparison chains, and tags errors with the position of the innermost failing expression.
 */
final class Evaluator {

    private final SourceText source;

    Evaluator(SourceText source) {
        this.source = source;
    }

    Object eval(Expr e, Scope scope) {
        try {
            return evalUnlocated(e, scope);
        } catch (ChatTemplateException ex) {
            throw ex.locatedAt(source, e.pos());
        } catch (ArithmeticException | ClassCastException | IndexOutOfBoundsException | IllegalArgumentException ex) {
            throw new ChatTemplateException(String.valueOf(ex.getMessage()), ex).locatedAt(source, e.pos());
        }
    }

    private Object evalUnlocated(Expr e, Scope scope) {
        return switch (e) {
            case Expr.Const c -> c.value();
            case Expr.Name n -> scope.resolve(n.name());
            case Expr.ListLit l -> {
                List<Object> out = new ArrayList<>(l.items().size());
                for (Expr item : l.items()) {
                    out.add(eval(item, scope));
                }
                yield out;
            }
            case Expr.TupleLit t -> {
                List<Object> out = new ArrayList<>(t.items().size());
                for (Expr item : t.items()) {
                    out.add(eval(item, scope));
                }
                yield PyTuple.of(out);
            }
            case Expr.DictLit d -> {
                Map<Object, Object> out = new LinkedHashMap<>();
                for (int i = 0; i < d.keys().size(); i++) {
                    Object key = eval(d.keys().get(i), scope);
                    if ((key instanceof List && !(key instanceof PyTuple)) || key instanceof Map) {
                        throw new ChatTemplateException("unhashable type: '" + PyOps.typeName(key) + "'");
                    }
                    Object existing = PyOps.findKey(out, key);
                    out.put(existing == PyOps.MISSING ? key : existing, eval(d.values().get(i), scope));
                }
                yield out;
            }
            case Expr.GetAttr g -> Access.getattr(eval(g.target(), scope), g.name());
            case Expr.GetItem g -> {
                Object target = eval(g.target(), scope);
                if (g.key() instanceof Expr.Slice s) {
                    yield PyOps.slice(target, sliceIndex(s.start(), scope), sliceIndex(s.stop(), scope),
                            sliceIndex(s.step(), scope));
                }
                yield Access.getitem(target, eval(g.key(), scope));
            }
            case Expr.Slice s -> throw new ChatTemplateException("a slice is only valid inside []");
            case Expr.Call c -> {
                Object callee = eval(c.callee(), scope);
                List<Object> args = new ArrayList<>();
                Map<String, Object> kwargs = new LinkedHashMap<>();
                evalArgs(c.args(), scope, args, kwargs);
                yield call(callee, args, kwargs);
            }
            case Expr.Filter f -> applyFilter(f, eval(f.target(), scope), scope);
            case Expr.Test t -> {
                Object value = eval(t.target(), scope);
                List<Object> args = new ArrayList<>();
                Map<String, Object> kwargs = new LinkedHashMap<>();
                evalArgs(t.args(), scope, args, kwargs);
                yield Tests.apply(t.name(), value, args, kwargs);
            }
            case Expr.Unary u -> PyOps.unary(u.op(), eval(u.operand(), scope));
            case Expr.Not n -> !PyOps.truthy(eval(n.operand(), scope));
            case Expr.Binary b -> PyOps.binary(b.op(), eval(b.left(), scope), eval(b.right(), scope));
            case Expr.And a -> {
                Object left = eval(a.left(), scope);
                yield PyOps.truthy(left) ? eval(a.right(), scope) : left;
            }
            case Expr.Or o -> {
                Object left = eval(o.left(), scope);
                yield PyOps.truthy(left) ? left : eval(o.right(), scope);
            }
            case Expr.Compare c -> {
                Object left = eval(c.first(), scope);
                for (int i = 0; i < c.ops().size(); i++) {
                    Object right = eval(c.operands().get(i), scope);
                    if (!PyOps.compareOp(c.ops().get(i), left, right)) {
                        yield false;
                    }
                    left = right;
                }
                yield true;
            }
            case Expr.Concat c -> {
                StringBuilder sb = new StringBuilder();
                for (Expr part : c.parts()) {
                    sb.append(PyRepr.str(eval(part, scope)));
                }
                yield sb.toString();
            }
            case Expr.CondExpr c -> {
                if (PyOps.truthy(eval(c.test(), scope))) {
                    yield eval(c.then(), scope);
                }
                yield c.orElse() != null ? eval(c.orElse(), scope) : Undefined.hint(
                        "the inline if-expression on line " + source.line(c.pos())
                                + " evaluated to false and no else section was defined.");
            }
        };
    }

    /**
     * Applies a filter (chain) to a value. For {@code {% filter %}} blocks and {@code {% set x | f %}}
     * the innermost filter of the chain has no target and takes the rendered body instead.
     */
    Object applyFilter(Expr.Filter f, Object input, Scope scope) {
        List<Object> args = new ArrayList<>();
        Map<String, Object> kwargs = new LinkedHashMap<>();
        evalArgs(f.args(), scope, args, kwargs);
        try {
            return Filters.apply(f.name(), input, args, kwargs);
        } catch (ChatTemplateException ex) {
            throw ex.locatedAt(source, f.pos());
        }
    }

    /** Applies a filter chain whose innermost target is null to input. */
    Object applyFilterChain(Expr chain, Object input, Scope scope) {
        Expr.Filter f = (Expr.Filter) chain;
        Object value = f.target() == null ? input : applyFilterChain(f.target(), input, scope);
        return applyFilter(f, value, scope);
    }

    private Long sliceIndex(Expr e, Scope scope) {
        if (e == null) {
            return null;
        }
        Object v = eval(e, scope);
        if (v == null) {
            return null;
        }
        if (!PyOps.isIntegral(v)) {
            throw new ChatTemplateException("slice indices must be integers or None or have an __index__ method");
        }
        return PyOps.toLong(v);
    }

    private void evalArgs(Expr.CallArgs a, Scope scope, List<Object> args, Map<String, Object> kwargs) {
        for (Expr e : a.positional()) {
            args.add(eval(e, scope));
        }
        for (int i = 0; i < a.keywordNames().size(); i++) {
            kwargs.put(a.keywordNames().get(i), eval(a.keywordValues().get(i), scope));
        }
        if (a.starArgs() != null) {
            args.addAll(PyOps.iterate(eval(a.starArgs(), scope)));
        }
        if (a.starKwargs() != null) {
            Object m = eval(a.starKwargs(), scope);
            if (!(m instanceof Map<?, ?> map)) {
                throw new ChatTemplateException("argument after ** must be a mapping, not " + PyOps.typeName(m));
            }
            map.forEach((k, v) -> kwargs.put(PyRepr.str(k), v));
        }
    }

    static Object call(Object callee, List<Object> args, Map<String, Object> kwargs) {
        if (callee instanceof PyCallable f) {
            return f.call(args, kwargs);
        }
        if (callee instanceof Undefined u) {
            throw u.error();
        }
        throw new ChatTemplateException("'" + PyOps.typeName(callee) + "' object is not callable");
    }
}

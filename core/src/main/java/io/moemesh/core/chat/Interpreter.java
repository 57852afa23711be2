package io.moemesh.core.chat;

import java.util.ArrayList;
import java.util.List;

/**
 * Executes statement nodes, writing output to a StringBuilder. Scoping follows jinja2 (see
 * {@link Scope}): loop iterations, macros, call/filter/with/generation blocks and block sets get a
 * child scope; {@code if} does not. Stateless apart from the source used for error locations, so one
 * instance serves concurrent renders.
 */
final class Interpreter {

    /** How a statement list finished: normally, or by {@code break} / {@code continue}. */
    private enum Flow { NEXT, BREAK, CONTINUE }

    private final SourceText source;
    private final Evaluator evaluator;

    Interpreter(SourceText source) {
        this.source = source;
        this.evaluator = new Evaluator(source);
    }

    Object evaluate(Expr e, Scope scope) {
        return evaluator.eval(e, scope);
    }

    String render(List<Node> body, Scope scope) {
        StringBuilder out = new StringBuilder();
        exec(body, scope, out);
        return out.toString();
    }

    private Flow exec(List<Node> nodes, Scope scope, StringBuilder out) {
        for (Node node : nodes) {
            Flow flow = exec(node, scope, out);
            if (flow != Flow.NEXT) {
                return flow;
            }
        }
        return Flow.NEXT;
    }

    private Flow exec(Node node, Scope scope, StringBuilder out) {
        try {
            return execUnlocated(node, scope, out);
        } catch (ChatTemplateException ex) {
            throw ex.locatedAt(source, node.pos());
        }
    }

    private Flow execUnlocated(Node node, Scope scope, StringBuilder out) {
        switch (node) {
            case Node.Text t -> out.append(t.text());
            case Node.Output o -> out.append(PyRepr.str(evaluate(o.expr(), scope)));
            case Node.If i -> {
                for (int k = 0; k < i.tests().size(); k++) {
                    if (PyOps.truthy(evaluate(i.tests().get(k), scope))) {
                        return exec(i.bodies().get(k), scope, out);
                    }
                }
                return exec(i.orElse(), scope, out);
            }
            case Node.For f -> runLoop(f, evaluate(f.iterable(), scope), 0, scope, out);
            case Node.Assign a -> assign(a.target(), evaluate(a.value(), scope), scope);
            case Node.AssignBlock a -> {
                Object value = render(a.body(), scope.child());
                if (a.filter() != null) {
                    value = evaluator.applyFilterChain(a.filter(), value, scope);
                }
                assign(a.target(), value, scope);
            }
            case Node.MacroDef m -> scope.set(m.name(), new Macro(m.name(), m.params(), m.defaults(), m.body(), scope, this));
            case Node.CallBlock c -> {
                Macro caller = new Macro("caller", c.params(), c.defaults(), c.body(), scope, this);
                Expr.Call call = c.call();
                Expr.CallArgs a = call.args();
                List<String> names = new ArrayList<>(a.keywordNames());
                List<Expr> values = new ArrayList<>(a.keywordValues());
                names.add("caller");
                values.add(new Expr.Const(c.pos(), caller));
                Expr.Call withCaller = new Expr.Call(call.pos(), call.callee(),
                        new Expr.CallArgs(a.positional(), names, values, a.starArgs(), a.starKwargs()));
                out.append(PyRepr.str(evaluate(withCaller, scope)));
            }
            case Node.FilterBlock fb -> {
                String body = render(fb.body(), scope.child());
                out.append(PyRepr.str(evaluator.applyFilterChain(fb.filter(), body, scope)));
            }
            case Node.With w -> {
                Scope inner = scope.child();
                for (int k = 0; k < w.targets().size(); k++) {
                    assign(w.targets().get(k), evaluate(w.values().get(k), scope), inner);
                }
                return exec(w.body(), inner, out);
            }
            case Node.Generation g -> exec(g.body(), scope.child(), out);
            case Node.Break b -> {
                return Flow.BREAK;
            }
            case Node.Continue c -> {
                return Flow.CONTINUE;
            }
        }
        return Flow.NEXT;
    }

    /**
     * Runs a for loop. The optional {@code if} filters items before the loop starts, so
     * {@code loop.length}/{@code loop.last} count only the kept ones, as in jinja2. The else branch
     * runs when nothing was iterated.
     */
    private void runLoop(Node.For f, Object iterable, int depth0, Scope scope, StringBuilder out) {
        List<Object> items = PyOps.iterate(iterable);
        if (f.condition() != null) {
            List<Object> kept = new ArrayList<>();
            for (Object item : items) {
                Scope s = scope.child();
                assign(f.target(), item, s);
                if (PyOps.truthy(evaluate(f.condition(), s))) {
                    kept.add(item);
                }
            }
            items = kept;
        }
        LoopContext.Recursion recursion = !f.recursive() ? null : (children, depth) -> {
            StringBuilder sb = new StringBuilder();
            runLoop(f, children, depth, scope, sb);
            return sb.toString();
        };
        LoopContext loop = new LoopContext(items, depth0, recursion);
        for (Object item : items) {
            loop.advance();
            Scope iteration = scope.child();
            assign(f.target(), item, iteration);
            iteration.set("loop", loop);
            if (exec(f.body(), iteration, out) == Flow.BREAK) {
                break;
            }
        }
        if (items.isEmpty()) {
            exec(f.orElse(), scope.child(), out);
        }
    }

    private void assign(Node.Target target, Object value, Scope scope) {
        switch (target) {
            case Node.Target.Name n -> scope.set(n.name(), value);
            case Node.Target.Tuple t -> {
                if (value instanceof Undefined u) {
                    throw u.error();
                }
                List<Object> items = PyOps.iterate(value);
                int expected = t.items().size();
                if (items.size() < expected) {
                    throw new ChatTemplateException("not enough values to unpack (expected " + expected + ", got " + items.size() + ")");
                }
                if (items.size() > expected) {
                    throw new ChatTemplateException("too many values to unpack (expected " + expected + ")");
                }
                for (int i = 0; i < expected; i++) {
                    assign(t.items().get(i), items.get(i), scope);
                }
            }
            case Node.Target.NamespaceAttr na -> {
                Object ns = scope.resolve(na.namespace());
                if (!(ns instanceof Namespace namespace)) {
                    throw new ChatTemplateException("cannot assign attribute on non-namespace object");
                }
                namespace.set(na.attr(), value);
            }
        }
    }
}

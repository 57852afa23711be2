package io.moemesh.core.chat;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A {@code {% macro %}} (or the {@code caller} of a call block) bound to the scope it was defined in.
 * Calling it renders the body in a fresh child of that scope, so the macro sees the enclosing
 * template's variables as they are at call time but not the caller's locals, as in jinja2. Extra
 * positional and keyword arguments land in {@code varargs} and {@code kwargs}.
 */
final class Macro implements PyCallable {

    private final String name;
    private final List<String> params;
    private final List<Expr> defaults;
    private final List<Node> body;
    private final Scope closure;
    private final Interpreter interpreter;

    Macro(String name, List<String> params, List<Expr> defaults, List<Node> body, Scope closure, Interpreter interpreter) {
        this.name = name;
        this.params = params;
        this.defaults = defaults;
        this.body = body;
        this.closure = closure;
        this.interpreter = interpreter;
    }

    String name() {
        return name;
    }

    @Override
    public Object call(List<Object> args, Map<String, Object> kwargs) {
        Scope scope = closure.child();
        boolean[] given = new boolean[params.size()];
        List<Object> varargs = new ArrayList<>();
        for (int i = 0; i < args.size(); i++) {
            if (i < params.size()) {
                scope.set(params.get(i), args.get(i));
                given[i] = true;
            } else {
                varargs.add(args.get(i));
            }
        }
        Map<Object, Object> extra = new LinkedHashMap<>();
        boolean hasCaller = false;
        for (Map.Entry<String, Object> e : kwargs.entrySet()) {
            int idx = params.indexOf(e.getKey());
            if (idx >= 0) {
                if (given[idx]) {
                    throw new ChatTemplateException("macro '" + name + "' got multiple values for argument '" + e.getKey() + "'");
                }
                scope.set(e.getKey(), e.getValue());
                given[idx] = true;
            } else if (e.getKey().equals("caller")) {
                scope.set("caller", e.getValue());
                hasCaller = true;
            } else {
                extra.put(e.getKey(), e.getValue());
            }
        }
        if (!hasCaller) {
            scope.set("caller", Undefined.hint("No caller defined"));
        }
        scope.set("varargs", PyTuple.of(varargs));
        scope.set("kwargs", extra);
        for (int i = 0; i < params.size(); i++) {
            if (!given[i]) {
                Expr dflt = defaults.get(i);
                scope.set(params.get(i), dflt != null ? interpreter.evaluate(dflt, scope)
                        : Undefined.hint("parameter '" + params.get(i) + "' was not provided"));
            }
        }
        return interpreter.render(body, scope);
    }

    @Override
    public String toString() {
        return "<Macro '" + name + "'>";
    }
}

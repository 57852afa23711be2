package io.moemesh.core.chat;

import java.util.List;

/** Statement nodes: what a template body is a list of. */
sealed interface Node {

    int pos();

    /** Literal template data, already whitespace-trimmed by the lexer. */
    record Text(int pos, String text) implements Node { }

    /** {@code {{ expr }}}. */
    record Output(int pos, Expr expr) implements Node { }

    /** if / elif... / else: {@code tests.get(i)} guards {@code bodies.get(i)}. */
    record If(int pos, List<Expr> tests, List<List<Node>> bodies, List<Node> orElse) implements Node { }

    record For(int pos, Target target, Expr iterable, Expr condition, boolean recursive,
               List<Node> body, List<Node> orElse) implements Node { }

    /** {@code {% set target = value %}}. */
    record Assign(int pos, Target target, Expr value) implements Node { }

    /** {@code {% set name | filters %}body{% endset %}}; filter is a {@link Expr.Filter} chain or null. */
    record AssignBlock(int pos, Target target, Expr filter, List<Node> body) implements Node { }

    record MacroDef(int pos, String name, List<String> params, List<Expr> defaults, List<Node> body) implements Node { }

    /** {@code {% call(params) macro(args) %}body{% endcall %}}: body becomes the {@code caller} macro. */
    record CallBlock(int pos, Expr.Call call, List<String> params, List<Expr> defaults, List<Node> body)
            implements Node { }

    /** {@code {% filter f %}body{% endfilter %}}. */
    record FilterBlock(int pos, Expr filter, List<Node> body) implements Node { }

    /** {@code {% with a = 1, b = 2 %}body{% endwith %}}. */
    record With(int pos, List<Target> targets, List<Expr> values, List<Node> body) implements Node { }

    /**
     * transformers' {@code {% generation %}} (AssistantTracker): a call block whose output is marked as
     * assistant text. Rendering only needs the body, in its own scope as a call block has.
     */
    record Generation(int pos, List<Node> body) implements Node { }

    record Break(int pos) implements Node { }

    record Continue(int pos) implements Node { }

    /** Assignment targets: a name, a (nested) tuple of names, or {@code namespace.attr}. */
    sealed interface Target {
        record Name(String name) implements Target { }

        record Tuple(List<Target> items) implements Target { }

        record NamespaceAttr(String namespace, String attr) implements Target { }
    }
}

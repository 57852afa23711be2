package io.moemesh.core.chat;

import java.time.Clock;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The functions every template can call: jinja2's {@code range}, {@code dict}, {@code namespace},
 * {@code joiner}, and the two transformers adds, {@code raise_exception(msg)} and
 * {@code strftime_now(fmt)}.
 */
final class Globals {

    /** jinja2's sandbox refuses ranges longer than this. */
    private static final long MAX_RANGE = 100_000;

    private Globals() {
    }

    static Map<String, Object> create(Clock clock) {
        Map<String, Object> g = new HashMap<>();
        g.put("range", (PyCallable) Globals::range);
        g.put("dict", (PyCallable) (args, kwargs) -> dict("dict", args, kwargs));
        g.put("namespace", (PyCallable) (args, kwargs) -> {
            Namespace ns = new Namespace();
            dict("namespace", args, kwargs).forEach((k, v) -> ns.set(PyRepr.str(k), v));
            return ns;
        });
        g.put("joiner", (PyCallable) Globals::joiner);
        g.put("raise_exception", (PyCallable) (args, kwargs) -> {
            Object msg = Args.bind("raise_exception", args, kwargs, new String[] {"message"}, new Object[] {Args.REQUIRED})[0];
            throw ChatTemplateException.raised(PyRepr.str(msg));
        });
        g.put("strftime_now", (PyCallable) (args, kwargs) -> {
            Object fmt = Args.bind("strftime_now", args, kwargs, new String[] {"format"}, new Object[] {Args.REQUIRED})[0];
            return Strftime.format(ZonedDateTime.now(clock), Args.string("strftime_now", fmt));
        });
        return g;
    }

    private static Object range(List<Object> args, Map<String, Object> kwargs) {
        if (!kwargs.isEmpty()) {
            throw new ChatTemplateException("range() takes no keyword arguments");
        }
        if (args.isEmpty() || args.size() > 3) {
            throw new ChatTemplateException("range expected at most 3 arguments, got " + args.size());
        }
        long start = 0;
        long stop;
        long step = 1;
        if (args.size() == 1) {
            stop = PyOps.toLong(args.get(0));
        } else {
            start = PyOps.toLong(args.get(0));
            stop = PyOps.toLong(args.get(1));
            if (args.size() == 3) {
                step = PyOps.toLong(args.get(2));
            }
        }
        if (step == 0) {
            throw new ChatTemplateException("range() arg 3 must not be zero");
        }
        long count = step > 0 ? (stop > start ? (stop - start + step - 1) / step : 0)
                : (start > stop ? (start - stop - step - 1) / -step : 0);
        if (count > MAX_RANGE) {
            throw new ChatTemplateException("Range too big. The sandbox blocks ranges larger than MAX_RANGE (" + MAX_RANGE + ").");
        }
        List<Object> out = new ArrayList<>((int) count);
        for (long i = 0, v = start; i < count; i++, v += step) {
            out.add(v);
        }
        return out;
    }

    /** Python's dict(mapping_or_pairs, **kwargs). */
    private static Map<Object, Object> dict(String name, List<Object> args, Map<String, Object> kwargs) {
        if (args.size() > 1) {
            throw new ChatTemplateException(name + " expected at most 1 argument, got " + args.size());
        }
        Map<Object, Object> out = new LinkedHashMap<>();
        if (args.size() == 1) {
            Object src = args.get(0);
            if (src instanceof Map<?, ?> m) {
                out.putAll(m);
            } else {
                for (Object pair : PyOps.iterate(src)) {
                    List<Object> kv = PyOps.iterate(pair);
                    if (kv.size() != 2) {
                        throw new ChatTemplateException("dictionary update sequence element has length " + kv.size() + "; 2 is required");
                    }
                    out.put(kv.get(0), kv.get(1));
                }
            }
        }
        out.putAll(kwargs);
        return out;
    }

    private static Object joiner(List<Object> args, Map<String, Object> kwargs) {
        String sep = PyRepr.str(Args.bind("joiner", args, kwargs, new String[] {"sep"}, new Object[] {", "})[0]);
        boolean[] used = {false};
        return (PyCallable) (a, k) -> {
            if (!used[0]) {
                used[0] = true;
                return "";
            }
            return sep;
        };
    }
}

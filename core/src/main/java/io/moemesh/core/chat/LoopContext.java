package io.moemesh.core.chat;

import java.util.List;
import java.util.Map;

/**
 * The {@code loop} variable inside a for loop: index/index0/revindex/revindex0/first/last/length,
 * previtem/nextitem, depth/depth0, {@code cycle(...)}, {@code changed(...)}, and for loops marked
 * {@code recursive}, {@code loop(children)} which renders the loop body over the children one level
 * deeper.
 */
final class LoopContext implements PyCallable {

    /** Renders the recursive loop over another iterable at the given depth0. */
    interface Recursion {
        String render(Object iterable, int depth0);
    }

    private static final Object NOTHING = new Object();

    private final List<Object> items;
    private final int depth0;
    private final Recursion recursion;
    private int index0 = -1;
    private Object lastChanged = NOTHING;

    LoopContext(List<Object> items, int depth0, Recursion recursion) {
        this.items = items;
        this.depth0 = depth0;
        this.recursion = recursion;
    }

    void advance() {
        index0++;
    }

    int length() {
        return items.size();
    }

    int index0() {
        return index0;
    }

    Object attribute(String name) {
        int length = items.size();
        return switch (name) {
            case "index" -> (long) index0 + 1;
            case "index0" -> (long) index0;
            case "revindex" -> (long) (length - index0);
            case "revindex0" -> (long) (length - index0 - 1);
            case "first" -> index0 == 0;
            case "last" -> index0 == length - 1;
            case "length" -> (long) length;
            case "depth" -> (long) depth0 + 1;
            case "depth0" -> (long) depth0;
            case "previtem" -> index0 > 0 ? items.get(index0 - 1) : Undefined.hint("there is no previous item");
            case "nextitem" -> index0 + 1 < length ? items.get(index0 + 1) : Undefined.hint("there is no next item");
            case "cycle" -> (PyCallable) (args, kwargs) -> {
                if (args.isEmpty()) {
                    throw new ChatTemplateException("no items for cycling given");
                }
                return args.get(index0 % args.size());
            };
            case "changed" -> (PyCallable) (args, kwargs) -> {
                Object value = args.size() == 1 ? args.get(0) : PyTuple.of(args);
                if (lastChanged != NOTHING && PyOps.eq(lastChanged, value)) {
                    return false;
                }
                lastChanged = value;
                return true;
            };
            default -> Undefined.attribute(this, name);
        };
    }

    @Override
    public Object call(List<Object> args, Map<String, Object> kwargs) {
        if (recursion == null) {
            throw new ChatTemplateException(
                    "Tried to call non recursive loop. Maybe you forgot the 'recursive' modifier.");
        }
        if (args.size() != 1) {
            throw new ChatTemplateException("loop() takes exactly one argument");
        }
        return recursion.render(args.get(0), depth0 + 1);
    }

    @Override
    public String toString() {
        return "<LoopContext " + (index0 + 1) + "/" + items.size() + ">";
    }
}

package io.moemesh.core.chat;

import java.util.AbstractList;
import java.util.List;

/**
 * A Python tuple: an immutable list that prints as {@code (a, b)} and never equals a list. Tuples
 * arise from template literals, {@code dict.items()} and {@code dictsort}; templates unpack them in
 * {@code for k, v in ...}.
 */
final class PyTuple extends AbstractList<Object> {

    static final PyTuple EMPTY = new PyTuple(List.of());

    private final List<Object> items;

    private PyTuple(List<Object> items) {
        this.items = items;
    }

    static PyTuple of(List<?> items) {
        return new PyTuple(java.util.Collections.unmodifiableList(new java.util.ArrayList<>(items)));
    }

    static PyTuple of(Object... items) {
        return of(java.util.Arrays.asList(items));
    }

    @Override
    public Object get(int index) {
        return items.get(index);
    }

    @Override
    public int size() {
        return items.size();
    }
}

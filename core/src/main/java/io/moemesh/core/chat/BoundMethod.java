package io.moemesh.core.chat;

import java.util.List;
import java.util.Map;

/**
 * {@code obj.name} where name is a Python method of a str, dict or list ({@code message.content.strip},
 * {@code tool.items}). Calling it dispatches to {@link Methods}.
 */
record BoundMethod(Object self, String name) implements PyCallable {

    @Override
    public Object call(List<Object> args, Map<String, Object> kwargs) {
        return Methods.call(self, name, args, kwargs);
    }
}

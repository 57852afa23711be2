package io.moemesh.core.chat;

import java.util.List;
import java.util.Map;

/** Anything a template can call: globals, macros, bound methods, {@code loop.cycle}. */
@FunctionalInterface
interface PyCallable {

    Object call(List<Object> args, Map<String, Object> kwargs);
}

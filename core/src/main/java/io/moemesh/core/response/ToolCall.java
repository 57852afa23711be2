package io.moemesh.core.response;

/**
 * One function call the model made, as an OpenAI-compatible API returns it.
 *
 * @param index         position among the calls of this choice, from 0
 * @param argumentsJson the arguments object as compact JSON text
 */
public record ToolCall(int index, String id, String name, String argumentsJson) implements ToolCallParser.Event {
}

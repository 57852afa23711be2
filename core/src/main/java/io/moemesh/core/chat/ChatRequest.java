package io.moemesh.core.chat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What a chat template is rendered with: the conversation, optional tool schemas, whether to open an
 * assistant turn, and Qwen3's thinking switch (null = not passed, so the template's
 * {@code enable_thinking is defined} is false and its default applies).
 *
 * @param messages            the conversation, each a map with at least "role" and "content"
 * @param tools               tool (function) schemas, or null
 * @param addGenerationPrompt append the header of an assistant turn
 * @param enableThinking      Qwen3 thinking switch, or null to leave it undefined
 */
public record ChatRequest(List<Map<String, Object>> messages, List<Map<String, Object>> tools,
                          boolean addGenerationPrompt, Boolean enableThinking) {

    private static final ObjectMapper JSON = new ObjectMapper();

    public ChatRequest {
        Objects.requireNonNull(messages, "messages");
    }

    /**
     * Parses {@code {"messages": [...], "tools": [...]?, "enable_thinking": bool?,
     * "add_generation_prompt": bool? (default true)}}.
     *
     * @throws IllegalArgumentException when the JSON is malformed or messages is missing
     */
    @SuppressWarnings("unchecked")
    public static ChatRequest fromJson(String json) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (Exception e) {
            throw new IllegalArgumentException("invalid chat request JSON: " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException("chat request must be a JSON object");
        }
        JsonNode messages = root.get("messages");
        if (messages == null || !messages.isArray()) {
            throw new IllegalArgumentException("chat request needs a \"messages\" array");
        }
        JsonNode tools = root.get("tools");
        if (tools != null && !tools.isNull() && !tools.isArray()) {
            throw new IllegalArgumentException("\"tools\" must be an array");
        }
        JsonNode thinking = root.get("enable_thinking");
        JsonNode genPrompt = root.get("add_generation_prompt");
        return new ChatRequest(
                (List<Map<String, Object>>) (List<?>) objects(messages, "messages"),
                tools == null || tools.isNull() ? null : (List<Map<String, Object>>) (List<?>) objects(tools, "tools"),
                genPrompt == null || genPrompt.isNull() || genPrompt.asBoolean(),
                thinking == null || thinking.isNull() ? null : thinking.asBoolean());
    }

    @SuppressWarnings("unchecked")
    private static List<Object> objects(JsonNode array, String what) {
        List<Object> out = new ArrayList<>();
        for (JsonNode item : array) {
            if (!item.isObject()) {
                throw new IllegalArgumentException("each of \"" + what + "\" must be a JSON object");
            }
            out.add((Map<String, Object>) Values.fromJson(item));
        }
        return out;
    }
}

package io.moemesh.core.response;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Optional;

/** The JSON inside one {@code <tool_call>} block: {@code {"name": ..., "arguments": {...}}}. */
record ToolCallBody(String name, String argumentsJson) {

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    /** Empty when the block is not a call we can hand to the client; the caller keeps it as text. */
    static Optional<ToolCallBody> parse(String blockText) {
        try {
            JsonNode call = JSON.readTree(blockText.trim());
            String name = call != null && call.isObject() && call.path("name").isTextual() ? call.get("name").asText() : "";
            if (name.isEmpty()) {
                return Optional.empty();
            }
            // Some models (and some prompts' examples) say "parameters" where the format says "arguments".
            JsonNode args = call.has("arguments") ? call.get("arguments") : call.get("parameters");
            if (args == null) {
                return Optional.of(new ToolCallBody(name, "{}"));
            }
            if (args.isTextual()) {
                args = JSON.readTree(args.asText());
            }
            return args != null && args.isObject()
                    ? Optional.of(new ToolCallBody(name, JSON.writeValueAsString(args)))
                    : Optional.empty();
        } catch (JsonProcessingException e) {
            return Optional.empty();
        }
    }
}

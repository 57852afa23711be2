package io.moemesh.gateway.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.moemesh.core.chat.ChatTemplate;
import io.moemesh.core.chat.ChatTemplateException;
import io.moemesh.core.engine.GenerationRequest;
import io.moemesh.gateway.engine.GatewayEngine;
import io.moemesh.gateway.serving.ServingRequest;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code POST /v1/chat/completions} bodies into a {@link ServingRequest}: the conversation rendered through the model's
 * own chat template (tools, Qwen3's {@code enable_thinking} and any other {@code chat_template_kwargs}), an assistant
 * prefill continued rather than closed, and the sampling defaults of the mode the prompt is in.
 */
public final class ChatCompletionParser {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> ROLES = Set.of("system", "developer", "user", "assistant", "tool");

    private ChatCompletionParser() {
    }

    /**
     * What a chat completions body asks the engine for; the gRPC API's chat form goes through here too, so both
     * take the same parameters with the same checks.
     *
     * @throws ApiException naming what is wrong, with the HTTP status it has
     */
    public static ServingRequest servingRequest(JsonNode body, GatewayEngine engine) {
        return parse(body, engine).serving();
    }

    static ApiCall parse(JsonNode body, GatewayEngine engine) {
        JsonFields f = new JsonFields(body);
        String model = Models.check(f, engine.modelId());
        List<Map<String, Object>> messages = messages(f);
        boolean prefill = isPrefill(f, messages);
        String prefillText = "";
        if (prefill) {
            Map<String, Object> last = messages.removeLast();
            prefillText = last.get("content") instanceof String s ? s : "";
        }

        JsonFields kwargs = f.object("chat_template_kwargs").orElse(null);
        Boolean enableThinking = kwargs == null ? null : kwargs.bool("enable_thinking").orElse(null);
        if (enableThinking == null) {
            enableThinking = f.bool("enable_thinking").orElse(null);
        }
        Integer thinkingBudget = f.integer("thinking_budget").orElse(null);
        if (thinkingBudget != null) {
            SamplingFields.check(thinkingBudget >= 0, "thinking_budget", "must be >= 0, got " + thinkingBudget);
            if (thinkingBudget == 0) {
                enableThinking = false; // a budget of nothing is the non-thinking mode
            }
        }
        boolean thinking = enableThinking == null || enableThinking;

        List<Map<String, Object>> tools = tools(f);
        String toolChoice = toolChoice(f);
        boolean useTools = tools != null && !toolChoice.equals("none");

        Map<String, Object> context = new LinkedHashMap<>();
        if (kwargs != null) {
            kwargs.node().properties().forEach(e -> context.put(e.getKey(), JSON.convertValue(e.getValue(), Object.class)));
        }
        if (enableThinking != null) {
            context.put("enable_thinking", enableThinking);
        }
        String promptText = render(engine.chatTemplate(), messages, useTools ? tools : null, context) + prefillText;
        int[] prompt = engine.tokenizer().encode(promptText);
        int contextTokens = engine.model().config().maxPositionEmbeddings();
        int maxTokens = SamplingFields.maxTokens(f, prompt.length, contextTokens, "messages");

        boolean logprobs = f.bool("logprobs").orElse(false);
        Integer top = f.integer("top_logprobs").orElse(null);
        if (top != null) {
            SamplingFields.check(logprobs, "top_logprobs", "needs \"logprobs\": true");
            SamplingFields.check(top >= 0 && top <= GenerationRequest.MAX_TOP_LOGPROBS, "top_logprobs",
                    "must be in [0, " + GenerationRequest.MAX_TOP_LOGPROBS + "], got " + top);
        }
        boolean stream = f.bool("stream").orElse(false);
        boolean includeUsage = streamIncludesUsage(f, stream);

        ServingRequest serving = new ServingRequest(prompt, SamplingFields.n(f), maxTokens,
                SamplingFields.sampling(f, thinking), SamplingFields.stop(f), f.bool("ignore_eos").orElse(false),
                logprobs ? (top == null ? 0 : top) : -1,
                SamplingFields.logitBias(f, engine.model().config().vocabSize()), thinkingBudget, true, useTools,
                useTools ? openToolCall(prefillText) : "");
        return new ApiCall(serving, stream, includeUsage, model);
    }

    /** The tool call block an assistant prefill opened and did not close, from its tag on; "" when none. */
    static String openToolCall(String prefill) {
        int open = prefill.lastIndexOf("<tool_call>");
        return open >= 0 && prefill.indexOf("</tool_call>", open) < 0 ? prefill.substring(open) : "";
    }

    static boolean streamIncludesUsage(JsonFields f, boolean stream) {
        JsonFields options = f.object("stream_options").orElse(null);
        if (options == null) {
            return false;
        }
        SamplingFields.check(stream, "stream_options", "is only allowed with \"stream\": true");
        return options.bool("include_usage").orElse(false);
    }

    private static String render(ChatTemplate template, List<Map<String, Object>> messages,
                                 List<Map<String, Object>> tools, Map<String, Object> kwargs) {
        Map<String, Object> context = new LinkedHashMap<>(template.specialTokens());
        context.putAll(kwargs);
        context.put("messages", messages);
        context.put("tools", tools);
        context.put("documents", null);
        context.put("add_generation_prompt", true);
        try {
            return template.render(context);
        } catch (ChatTemplateException e) {
            // The template refuses the conversation itself (raise_exception): that is the client's to fix.
            throw ApiException.invalid("messages", "the chat template refused the messages: " + e.getMessage());
        }
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> messages(JsonFields f) {
        JsonNode node = f.get("messages").orElseThrow(() -> ApiException.invalid("messages", "'messages' is required"));
        if (!node.isArray() || node.isEmpty()) {
            throw ApiException.invalid("messages", "'messages' must be a non-empty array");
        }
        List<Map<String, Object>> out = new ArrayList<>();
        for (int i = 0; i < node.size(); i++) {
            JsonNode m = node.get(i);
            String param = "messages[" + i + "]";
            if (!m.isObject()) {
                throw ApiException.invalid(param, "'" + param + "' must be an object");
            }
            JsonNode role = m.get("role");
            if (role == null || !role.isTextual() || !ROLES.contains(role.asText())) {
                throw ApiException.invalid(param + ".role", "'" + param + ".role' must be one of " + ROLES + ", got " + role);
            }
            Map<String, Object> message = JSON.convertValue(m, LinkedHashMap.class);
            // OpenAI's newer "developer" role is the system prompt of older templates.
            if (role.asText().equals("developer")) {
                message.put("role", "system");
            }
            message.put("content", content(m.get("content"), param, role.asText()));
            out.add(message);
        }
        return out;
    }

    /** A string, or an array of text parts joined; null only where OpenAI allows it (assistant with tool calls). */
    private static String content(JsonNode content, String param, String role) {
        if (content == null || content.isNull()) {
            if (role.equals("assistant")) {
                return "";
            }
            throw ApiException.invalid(param + ".content", "'" + param + ".content' is required for a " + role + " message");
        }
        if (content.isTextual()) {
            return content.asText();
        }
        if (content.isArray()) {
            StringBuilder text = new StringBuilder();
            for (JsonNode part : content) {
                JsonNode type = part.get("type");
                if (type == null || !"text".equals(type.asText()) || !part.path("text").isTextual()) {
                    throw ApiException.invalid(param + ".content", "only text content parts are supported; got " + part);
                }
                text.append(part.get("text").asText());
            }
            return text.toString();
        }
        throw JsonFields.wrongType(param + ".content", "a string or an array of text parts", content);
    }

    /** A last assistant message marked {@code prefix} (or {@code continue_final_message}) is continued, not answered. */
    private static boolean isPrefill(JsonFields f, List<Map<String, Object>> messages) {
        Map<String, Object> last = messages.getLast();
        boolean assistantLast = "assistant".equals(last.get("role"));
        boolean continueFinal = f.bool("continue_final_message").orElse(false);
        boolean prefix = Boolean.TRUE.equals(last.remove("prefix"));
        if ((continueFinal || prefix) && !assistantLast) {
            throw ApiException.invalid(continueFinal ? "continue_final_message" : "messages",
                    "continuing the final message needs an assistant message last");
        }
        return continueFinal || prefix;
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> tools(JsonFields f) {
        JsonNode node = f.get("tools").orElse(null);
        if (node == null) {
            return null;
        }
        if (!node.isArray()) {
            throw JsonFields.wrongType("tools", "an array", node);
        }
        List<Map<String, Object>> out = new ArrayList<>();
        for (int i = 0; i < node.size(); i++) {
            JsonNode tool = node.get(i);
            if (!tool.isObject() || !"function".equals(tool.path("type").asText("function"))
                    || !tool.path("function").path("name").isTextual()) {
                throw ApiException.invalid("tools[" + i + "]",
                        "'tools[" + i + "]' must be {\"type\": \"function\", \"function\": {\"name\": ..., \"parameters\": ...}}");
            }
            out.add(JSON.convertValue(tool, LinkedHashMap.class));
        }
        return out.isEmpty() ? null : out;
    }

    private static String toolChoice(JsonFields f) {
        JsonNode choice = f.get("tool_choice").orElse(null);
        if (choice == null) {
            return "auto";
        }
        if (choice.isTextual() && (choice.asText().equals("auto") || choice.asText().equals("none"))) {
            return choice.asText();
        }
        throw ApiException.invalid("tool_choice", "'tool_choice' supports \"auto\" and \"none\"; got " + choice
                + " (to force a call, prefill the assistant message with \"<tool_call>\\n\")");
    }
}

package io.moemesh.gateway.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.moemesh.core.response.ToolCall;
import io.moemesh.gateway.serving.TokenLogprob;
import io.moemesh.gateway.serving.Usage;

import java.util.List;
import java.util.UUID;

/** The JSON shapes of OpenAI's chat.completion(.chunk) and text_completion objects, built field by field. */
final class ResponseJson {
    static final ObjectMapper JSON = new ObjectMapper();

    private ResponseJson() {
    }

    /** One id per response, shared by all of its stream's chunks. */
    static String id(boolean chat) {
        return (chat ? "chatcmpl-" : "cmpl-") + UUID.randomUUID().toString().replace("-", "");
    }

    static ObjectNode envelope(String id, String object, long created, String model) {
        ObjectNode o = JSON.createObjectNode();
        o.put("id", id).put("object", object).put("created", created).put("model", model);
        return o;
    }

    static ObjectNode usage(Usage usage) {
        ObjectNode u = JSON.createObjectNode();
        u.put("prompt_tokens", usage.promptTokens()).put("completion_tokens", usage.completionTokens())
                .put("total_tokens", usage.totalTokens());
        u.putObject("completion_tokens_details").put("reasoning_tokens", usage.reasoningTokens());
        return u;
    }

    static ArrayNode toolCalls(List<ToolCall> calls, boolean withIndex) {
        ArrayNode out = JSON.createArrayNode();
        for (ToolCall call : calls) {
            ObjectNode c = out.addObject();
            if (withIndex) {
                c.put("index", call.index());
            }
            c.put("id", call.id()).put("type", "function");
            c.putObject("function").put("name", call.name()).put("arguments", call.argumentsJson());
        }
        return out;
    }

    /** Chat's {@code logprobs.content}: one entry per token with its top alternatives. */
    static ObjectNode chatLogprobs(List<TokenLogprob> tokens) {
        ObjectNode logprobs = JSON.createObjectNode();
        ArrayNode content = logprobs.putArray("content");
        for (TokenLogprob t : tokens) {
            ObjectNode entry = tokenEntry(content.addObject(), t);
            ArrayNode top = entry.putArray("top_logprobs");
            t.top().forEach(alt -> tokenEntry(top.addObject(), alt));
        }
        return logprobs;
    }

    private static ObjectNode tokenEntry(ObjectNode o, TokenLogprob t) {
        o.put("token", t.token()).put("logprob", t.logprob());
        ArrayNode bytes = o.putArray("bytes");
        for (byte b : t.bytes()) {
            bytes.add(b & 0xFF);
        }
        return o;
    }

    /** The legacy completions shape: parallel arrays, top alternatives as {token: logprob} maps. */
    static ObjectNode completionLogprobs(List<TokenLogprob> tokens, int textOffset) {
        ObjectNode logprobs = JSON.createObjectNode();
        ArrayNode text = logprobs.putArray("tokens");
        ArrayNode values = logprobs.putArray("token_logprobs");
        ArrayNode top = logprobs.putArray("top_logprobs");
        ArrayNode offsets = logprobs.putArray("text_offset");
        int offset = textOffset;
        for (TokenLogprob t : tokens) {
            text.add(t.token());
            values.add(t.logprob());
            ObjectNode alternatives = top.addObject();
            t.top().forEach(alt -> alternatives.put(alt.token(), alt.logprob()));
            offsets.add(offset);
            offset += t.token().length();
        }
        return logprobs;
    }
}

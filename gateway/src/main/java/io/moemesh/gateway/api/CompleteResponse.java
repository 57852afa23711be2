package io.moemesh.gateway.api;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.moemesh.core.response.ToolCall;
import io.moemesh.gateway.serving.ChoiceDelta;
import io.moemesh.gateway.serving.RunListener;
import io.moemesh.gateway.serving.TokenLogprob;
import io.moemesh.gateway.serving.Usage;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** A run gathered into one chat.completion (or text_completion) object, completed when every choice is done. */
final class CompleteResponse implements RunListener {
    private final ApiCall call;
    private final boolean chat;
    private final Choice[] choices;
    private final CompletableFuture<ObjectNode> result = new CompletableFuture<>();

    private static final class Choice {
        final StringBuilder reasoning = new StringBuilder();
        final StringBuilder content = new StringBuilder();
        final List<ToolCall> toolCalls = new ArrayList<>();
        final List<TokenLogprob> logprobs = new ArrayList<>();
        String finishReason;
    }

    CompleteResponse(ApiCall call, boolean chat) {
        this.call = call;
        this.chat = chat;
        this.choices = new Choice[call.serving().n()];
        for (int i = 0; i < choices.length; i++) {
            choices[i] = new Choice();
        }
    }

    CompletableFuture<ObjectNode> result() {
        return result;
    }

    @Override
    public void onDelta(ChoiceDelta d) {
        Choice c = choices[d.choice()];
        c.reasoning.append(d.reasoning());
        c.content.append(d.content());
        c.toolCalls.addAll(d.toolCalls());
        c.logprobs.addAll(d.logprobs());
    }

    @Override
    public void onChoiceFinished(int choice, String finishReason) {
        choices[choice].finishReason = finishReason;
    }

    @Override
    public void onDone(Usage usage) {
        ObjectNode body = ResponseJson.envelope(ResponseJson.id(chat), chat ? "chat.completion" : "text_completion",
                Instant.now().getEpochSecond(), call.model());
        ArrayNode out = body.putArray("choices");
        boolean logprobs = call.serving().topLogprobs() >= 0;
        for (int i = 0; i < choices.length; i++) {
            Choice c = choices[i];
            ObjectNode o = out.addObject();
            o.put("index", i);
            if (chat) {
                ObjectNode message = o.putObject("message");
                message.put("role", "assistant");
                // OpenAI's shape: no text beside tool calls is null, not "".
                if (c.content.isEmpty() && !c.toolCalls.isEmpty()) {
                    message.putNull("content");
                } else {
                    message.put("content", c.content.toString());
                }
                if (!c.reasoning.isEmpty()) {
                    message.put("reasoning_content", c.reasoning.toString());
                } else {
                    message.putNull("reasoning_content");
                }
                if (!c.toolCalls.isEmpty()) {
                    message.set("tool_calls", ResponseJson.toolCalls(c.toolCalls, false));
                }
                o.set("logprobs", logprobs ? ResponseJson.chatLogprobs(c.logprobs) : null);
            } else {
                o.put("text", c.content.toString());
                o.set("logprobs", logprobs ? ResponseJson.completionLogprobs(c.logprobs, 0) : null);
            }
            o.put("finish_reason", c.finishReason);
        }
        body.set("usage", ResponseJson.usage(usage));
        result.complete(body);
    }

    @Override
    public void onError(RuntimeException error) {
        result.completeExceptionally(error);
    }
}

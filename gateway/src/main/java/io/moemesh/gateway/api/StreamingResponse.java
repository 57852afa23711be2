package io.moemesh.gateway.api;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.moemesh.gateway.serving.ChoiceDelta;
import io.moemesh.gateway.serving.RunListener;
import io.moemesh.gateway.serving.Usage;

import java.time.Instant;
import java.util.function.Consumer;

/**
 * A run streamed as OpenAI streams it: server-sent events of chat.completion.chunk (or text_completion) objects,
 * reasoning and answer in separate delta fields, each tool call whole in one delta, a finish chunk per choice, the
 * usage chunk when asked for, then {@code data: [DONE]}. An error after the stream started is sent as an error
 * event (the status line is long gone).
 */
final class StreamingResponse implements RunListener {
    private final boolean chat;
    private final boolean includeUsage;
    private final String id;
    private final String model;
    private final long created = Instant.now().getEpochSecond();
    private final Consumer<String> events;
    private final Runnable end;
    private final boolean[] started;
    private final int[] textOffsets;

    /**
     * @param events receives each event's data (the JSON of one chunk)
     * @param end    called once after the last event
     */
    StreamingResponse(ApiCall call, boolean chat, Consumer<String> events, Runnable end) {
        this.chat = chat;
        this.includeUsage = call.includeUsage();
        this.id = ResponseJson.id(chat);
        this.model = call.model();
        this.events = events;
        this.end = end;
        this.started = new boolean[call.serving().n()];
        this.textOffsets = new int[call.serving().n()];
    }

    private ObjectNode chunk() {
        return ResponseJson.envelope(id, chat ? "chat.completion.chunk" : "text_completion", created, model);
    }

    private ObjectNode choice(ObjectNode chunk, int index) {
        ObjectNode c = chunk.putArray("choices").addObject();
        c.put("index", index);
        return c;
    }

    @Override
    public void onDelta(ChoiceDelta d) {
        ObjectNode chunk = chunk();
        ObjectNode c = choice(chunk, d.choice());
        if (chat) {
            ObjectNode delta = c.putObject("delta");
            if (!started[d.choice()]) {
                // OpenAI opens each choice's stream with the role.
                started[d.choice()] = true;
                delta.put("role", "assistant");
            }
            if (!d.reasoning().isEmpty()) {
                delta.put("reasoning_content", d.reasoning());
            }
            if (!d.content().isEmpty()) {
                delta.put("content", d.content());
            }
            if (!d.toolCalls().isEmpty()) {
                delta.set("tool_calls", ResponseJson.toolCalls(d.toolCalls(), true));
            }
            c.set("logprobs", d.logprobs().isEmpty() ? null : ResponseJson.chatLogprobs(d.logprobs()));
        } else {
            c.put("text", d.content());
            c.set("logprobs", d.logprobs().isEmpty() ? null
                    : ResponseJson.completionLogprobs(d.logprobs(), textOffsets[d.choice()]));
            textOffsets[d.choice()] += d.content().length();
        }
        c.putNull("finish_reason");
        events.accept(chunk.toString());
    }

    @Override
    public void onChoiceFinished(int index, String finishReason) {
        ObjectNode chunk = chunk();
        ObjectNode c = choice(chunk, index);
        if (chat) {
            c.putObject("delta");
        } else {
            c.put("text", "");
        }
        c.putNull("logprobs");
        c.put("finish_reason", finishReason);
        events.accept(chunk.toString());
    }

    @Override
    public void onDone(Usage usage) {
        if (includeUsage) {
            ObjectNode chunk = chunk();
            chunk.putArray("choices");
            chunk.set("usage", ResponseJson.usage(usage));
            events.accept(chunk.toString());
        }
        events.accept("[DONE]");
        end.run();
    }

    @Override
    public void onError(RuntimeException error) {
        ApiException e = OpenAiErrors.toApi(error);
        events.accept(OpenAiErrors.body(e).toString());
        end.run();
    }
}

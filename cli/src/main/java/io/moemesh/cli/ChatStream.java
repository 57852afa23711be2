package io.moemesh.cli;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * One streamed chat completion as a client sees it: the server-sent events of an OpenAI
 * {@code chat.completion.chunk} stream, fed line by line with the time each line arrived, and what they add up to
 * (time to first token, gaps between tokens, completion tokens). Server-sent events per the HTML spec: an event is
 * its {@code data:} lines joined by newlines, ended by a blank line; {@code :} lines are comments.
 */
final class ChatStream {
    private final long startNanos;
    private final StringBuilder data = new StringBuilder();
    private boolean hasData;
    private long eventNanos = -1;
    private long firstTokenNanos = -1;
    private long lastTokenNanos = -1;
    private long endNanos = -1;
    private final List<Long> gaps = new ArrayList<>();
    private int contentChunks;
    private int usageCompletionTokens = -1;
    private int usagePromptTokens = -1;
    private String finishReason;
    private boolean done;
    private String error;

    /** @param startNanos when the request was sent ({@link System#nanoTime()}) */
    ChatStream(long startNanos) {
        this.startNanos = startNanos;
    }

    /**
     * What one request measured. {@code completionTokens} comes from the usage chunk when the server sent one;
     * {@code ttftNanos} is -1 when no chunk carried text (a generation that ended at once).
     */
    record Result(long ttftNanos, long totalNanos, int completionTokens, int promptTokens, long[] gapNanos,
                  String finishReason, boolean usageReported) {
    }

    /** One line of the response body (without its line terminator), received at {@code nanos}. */
    void line(String line, long nanos) {
        if (line.isEmpty()) {
            dispatch();
            return;
        }
        if (line.startsWith(":")) {
            return;
        }
        int colon = line.indexOf(':');
        String field = colon < 0 ? line : line.substring(0, colon);
        String value = colon < 0 ? "" : line.substring(colon + 1);
        if (value.startsWith(" ")) {
            value = value.substring(1);
        }
        if (field.equals("data")) {
            if (hasData) {
                data.append('\n');
            }
            data.append(value);
            hasData = true;
            if (eventNanos < 0) {
                eventNanos = nanos;
            }
        }
        // event:, id:, retry: carry nothing an OpenAI stream uses
    }

    /** The body ended at {@code nanos}; returns what the stream measured, or throws if it was not a complete one. */
    Result finish(long nanos) {
        dispatch();
        endNanos = nanos;
        if (error != null) {
            throw new IllegalStateException("the stream reported an error: " + error);
        }
        if (!done) {
            throw new IllegalStateException("the stream ended without data: [DONE]");
        }
        int tokens = usageCompletionTokens >= 0 ? usageCompletionTokens : contentChunks;
        return new Result(firstTokenNanos < 0 ? -1 : firstTokenNanos - startNanos, endNanos - startNanos, tokens, usagePromptTokens,
                gaps.stream().mapToLong(Long::longValue).toArray(), finishReason, usageCompletionTokens >= 0);
    }

    boolean done() {
        return done;
    }

    private void dispatch() {
        if (!hasData) {
            return;
        }
        String payload = data.toString();
        long at = eventNanos;
        data.setLength(0);
        hasData = false;
        eventNanos = -1;
        if (payload.equals("[DONE]")) {
            done = true;
            return;
        }
        JsonNode chunk;
        try {
            chunk = Json.MAPPER.readTree(payload);
        } catch (IOException e) {
            throw new UncheckedIOException("not a JSON chunk: " + payload, e);
        }
        if (chunk.has("error")) {
            JsonNode e = chunk.get("error");
            error = e.isObject() && e.has("message") ? e.get("message").asText() : e.toString();
            return;
        }
        for (JsonNode choice : chunk.path("choices")) {
            JsonNode delta = choice.path("delta");
            if (!delta.path("content").asText("").isEmpty() || !delta.path("reasoning_content").asText("").isEmpty()) {
                if (firstTokenNanos < 0) {
                    firstTokenNanos = at;
                } else {
                    gaps.add(at - lastTokenNanos);
                }
                lastTokenNanos = at;
                contentChunks++;
            }
            if (!choice.path("finish_reason").isNull() && !choice.path("finish_reason").isMissingNode()) {
                finishReason = choice.get("finish_reason").asText();
            }
        }
        JsonNode usage = chunk.path("usage");
        if (usage.isObject()) {
            usageCompletionTokens = usage.path("completion_tokens").asInt(-1);
            usagePromptTokens = usage.path("prompt_tokens").asInt(-1);
        }
    }
}

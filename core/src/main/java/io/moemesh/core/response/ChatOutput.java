package io.moemesh.core.response;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Turns the text generated for one choice into what an OpenAI-compatible chat API returns:
 * stop strings are applied to the whole text, reasoning included (as vLLM does), then reasoning is
 * split from content, then tool calls are taken out of the content.
 */
public final class ChatOutput {

    /** What one piece of generated text added; empty strings and an empty list when nothing. */
    public record Delta(String reasoning, String content, List<ToolCall> toolCalls, boolean stopped) {

        public Delta {
            toolCalls = List.copyOf(toolCalls);
        }

        private static final Delta NOTHING = new Delta("", "", List.of(), false);

        /** Nothing to send: no text, no call, and no stop. */
        public boolean isEmpty() {
            return reasoning.isEmpty() && content.isEmpty() && toolCalls.isEmpty() && !stopped;
        }
    }

    private final StopStrings stops;
    private final ReasoningSplitter splitter;
    private final ToolCallParser toolCallParser;
    private final StringBuilder reasoning = new StringBuilder();
    private final StringBuilder content = new StringBuilder();
    private final List<ToolCall> toolCalls = new ArrayList<>();
    private Optional<String> matchedStop = Optional.empty();
    private boolean finished;

    /**
     * @param startsInReasoning the prompt left a {@code <think>} open ({@link ReasoningSplitter#opensReasoning})
     * @param parseToolCalls    the request offered tools, so {@code <tool_call>} blocks are calls, not content
     */
    public ChatOutput(boolean startsInReasoning, List<String> stopStrings, boolean parseToolCalls, Supplier<String> ids) {
        this.stops = new StopStrings(stopStrings);
        this.splitter = new ReasoningSplitter(startsInReasoning);
        this.toolCallParser = parseToolCalls ? new ToolCallParser(ids) : null;
    }

    /**
     * Adds the next piece of generated text. The piece that hits a stop string also releases
     * everything held back, since the text ends there; later pieces add nothing.
     */
    public Delta push(String piece) {
        if (finished) {
            return Delta.NOTHING;
        }
        StopStrings.Result cut = stops.push(piece);
        var sink = new Sink();
        sink.segments(splitter.push(cut.text()));
        if (cut.stopped()) {
            matchedStop = cut.matchedStop();
            sink.segments(splitter.flush());
            sink.flushToolCalls();
            finished = true;
        }
        return sink.delta(cut.stopped());
    }

    /** Ends the text: releases what each stage held back, in pipeline order. */
    public Delta finish() {
        if (finished) {
            return Delta.NOTHING;
        }
        finished = true;
        StopStrings.Result cut = stops.flush();
        matchedStop = cut.matchedStop();
        var sink = new Sink();
        sink.segments(splitter.push(cut.text()));
        sink.segments(splitter.flush());
        sink.flushToolCalls();
        return sink.delta(cut.stopped());
    }

    public String reasoning() {
        return reasoning.toString();
    }

    public String content() {
        return content.toString();
    }

    public List<ToolCall> toolCalls() {
        return List.copyOf(toolCalls);
    }

    public boolean stopped() {
        return matchedStop.isPresent();
    }

    public Optional<String> matchedStop() {
        return matchedStop;
    }

    /** Collects one delta while adding it to the totals. */
    private final class Sink {
        private final StringBuilder deltaReasoning = new StringBuilder();
        private final StringBuilder deltaContent = new StringBuilder();
        private final List<ToolCall> deltaCalls = new ArrayList<>();

        void segments(List<ReasoningSplitter.Segment> segments) {
            for (var segment : segments) {
                switch (segment.kind()) {
                    case REASONING -> deltaReasoning.append(segment.text());
                    case CONTENT -> {
                        if (toolCallParser == null) {
                            deltaContent.append(segment.text());
                        } else {
                            events(toolCallParser.push(segment.text()));
                        }
                    }
                }
            }
        }

        void flushToolCalls() {
            if (toolCallParser != null) {
                events(toolCallParser.flush());
            }
        }

        private void events(List<ToolCallParser.Event> events) {
            for (var event : events) {
                switch (event) {
                    case ToolCallParser.Text text -> deltaContent.append(text.text());
                    case ToolCall call -> deltaCalls.add(call);
                }
            }
        }

        Delta delta(boolean stopped) {
            reasoning.append(deltaReasoning);
            content.append(deltaContent);
            toolCalls.addAll(deltaCalls);
            return new Delta(deltaReasoning.toString(), deltaContent.toString(), deltaCalls, stopped);
        }
    }
}

package io.moemesh.gateway.serving;

import io.moemesh.core.response.ToolCall;

import java.util.List;

/**
 * What one choice produced since its last delta: reasoning text, answer text, completed tool calls, and the logprobs
 * of the tokens that arrived (text may lag its tokens: a possible stop string or tag is held back until resolved).
 */
public record ChoiceDelta(int choice, String reasoning, String content, List<ToolCall> toolCalls,
                          List<TokenLogprob> logprobs) {

    public boolean isEmpty() {
        return reasoning.isEmpty() && content.isEmpty() && toolCalls.isEmpty() && logprobs.isEmpty();
    }
}

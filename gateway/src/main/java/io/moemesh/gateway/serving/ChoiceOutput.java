package io.moemesh.gateway.serving;

import io.moemesh.core.engine.GeneratedToken;
import io.moemesh.core.response.ChatOutput;
import io.moemesh.core.response.StopStrings;
import io.moemesh.core.response.ToolCall;
import io.moemesh.core.response.ToolCallParser;
import io.moemesh.core.tokenizer.IncrementalDecoder;
import io.moemesh.core.tokenizer.Tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * One choice's tokens turned into what the API returns: text without half characters, reasoning apart from the
 * answer, tool calls, stop strings, logprobs, and the count of reasoning tokens. Runs on the scheduler's thread.
 */
final class ChoiceOutput {
    private final int choice;
    private final Tokenizer tokenizer;
    private final IncrementalDecoder decoder;
    private final ChatOutput chat;
    private final StopStrings plain;
    private final int thinkOpen;
    private final int thinkClose;
    private boolean inThinking;
    private int reasoningTokens;
    private boolean sawToolCall;
    private boolean stopped;

    ChoiceOutput(int choice, ServingRequest request, Tokenizer tokenizer, boolean startsInThinking) {
        this.choice = choice;
        this.tokenizer = tokenizer;
        this.decoder = tokenizer.newDecoder(true);
        this.chat = request.chat()
                ? new ChatOutput(startsInThinking, request.stop(), request.parseToolCalls(), ToolCallParser.defaultIds())
                : null;
        this.plain = request.chat() ? null : new StopStrings(request.stop());
        this.thinkOpen = tokenizer.tokenId("<think>").orElse(-1);
        this.thinkClose = tokenizer.tokenId("</think>").orElse(-1);
        this.inThinking = request.chat() && startsInThinking;
        if (chat != null && !request.openToolCall().isEmpty()) {
            // The prefill opened a tool call: the parser holds it (a block emits nothing until it closes), and the
            // model's tokens finish it. Prefilling "<tool_call>" is how a client forces a call.
            chat.push(request.openToolCall());
        }
    }

    /** The delta a new token makes (possibly empty); {@link #stopped()} tells whether a stop string ended it. */
    ChoiceDelta onToken(GeneratedToken token, boolean withLogprobs) {
        countReasoning(token.id());
        List<TokenLogprob> logprobs = withLogprobs ? List.of(logprob(token)) : List.of();
        return delta(decoder.push(token.id()), false, logprobs);
    }

    /** What is left once the generation ended: held-back text, an unterminated block. */
    ChoiceDelta finish() {
        return delta(decoder.flush(), true, List.of());
    }

    private ChoiceDelta delta(String text, boolean last, List<TokenLogprob> logprobs) {
        if (stopped) {
            return new ChoiceDelta(choice, "", "", List.of(), logprobs);
        }
        if (chat != null) {
            ChatOutput.Delta d = chat.push(text);
            if (last && !d.stopped()) {
                ChatOutput.Delta rest = chat.finish();
                d = new ChatOutput.Delta(d.reasoning() + rest.reasoning(), d.content() + rest.content(),
                        concat(d.toolCalls(), rest.toolCalls()), rest.stopped());
            }
            stopped = d.stopped();
            sawToolCall |= !d.toolCalls().isEmpty();
            return new ChoiceDelta(choice, d.reasoning(), d.content(), d.toolCalls(), logprobs);
        }
        StopStrings.Result r = plain.push(text);
        String content = r.text();
        if (last && !r.stopped()) {
            r = plain.flush();
            content += r.text();
        }
        stopped = r.stopped();
        return new ChoiceDelta(choice, "", content, List.of(), logprobs);
    }

    private static List<ToolCall> concat(List<ToolCall> a, List<ToolCall> b) {
        if (b.isEmpty()) {
            return a;
        }
        List<ToolCall> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    /** Tokens inside the think block, the closing tag included, are reasoning tokens (the opening tag is not). */
    private void countReasoning(int id) {
        if (inThinking) {
            reasoningTokens++;
            if (id == thinkClose) {
                inThinking = false;
            }
        } else if (id == thinkOpen && reasoningTokens == 0 && chat != null) {
            inThinking = true;
        }
    }

    private TokenLogprob logprob(GeneratedToken token) {
        List<TokenLogprob> top = new ArrayList<>(token.topIds().length);
        for (int i = 0; i < token.topIds().length; i++) {
            top.add(entry(token.topIds()[i], token.topLogprobs()[i], List.of()));
        }
        // A forced token was not drawn from the model's distribution: it is reported as certain.
        return entry(token.id(), token.forced() ? 0f : token.logprob(), top);
    }

    private TokenLogprob entry(int id, float logprob, List<TokenLogprob> top) {
        byte[] bytes = tokenizer.tokenBytes(id);
        return new TokenLogprob(new String(bytes, StandardCharsets.UTF_8), logprob, bytes, top);
    }

    boolean stopped() {
        return stopped;
    }

    boolean sawToolCall() {
        return sawToolCall;
    }

    int reasoningTokens() {
        return reasoningTokens;
    }
}

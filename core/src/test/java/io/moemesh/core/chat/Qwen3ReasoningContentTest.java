package io.moemesh.core.chat;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Qwen3's own template (the copy shipped in the jar) with reasoning_content, expected text derived from the template. */
class Qwen3ReasoningContentTest {
    private final ChatTemplate qwen3 = ChatTemplate.embeddedQwen3();

    @Test
    void reasoningAfterTheLastQueryIsRenderedInThinkTags() {
        String prompt = qwen3.render(new ChatRequest(List.of(
                Map.of("role", "user", "content", "Q"),
                Map.of("role", "assistant", "content", "A", "reasoning_content", "R")), null, false, null));
        assertEquals("<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\n<think>\nR\n</think>\n\nA<|im_end|>\n", prompt);
    }

    @Test
    void reasoningOfEarlierTurnsIsDropped() {
        String prompt = qwen3.render(new ChatRequest(List.of(
                Map.of("role", "user", "content", "Q1"),
                Map.of("role", "assistant", "content", "A1", "reasoning_content", "R1"),
                Map.of("role", "user", "content", "Q2")), null, true, null));
        assertEquals("<|im_start|>user\nQ1<|im_end|>\n<|im_start|>assistant\nA1<|im_end|>\n"
                + "<|im_start|>user\nQ2<|im_end|>\n<|im_start|>assistant\n", prompt);
    }

    @Test
    void enableThinkingFalseWritesAnEmptyThinkBlock() {
        String prompt = qwen3.render(new ChatRequest(List.of(Map.of("role", "user", "content", "Hi")), null, true, false));
        assertEquals("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n", prompt);
    }
}

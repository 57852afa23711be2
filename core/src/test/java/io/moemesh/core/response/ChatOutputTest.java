package io.moemesh.core.response;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

class ChatOutputTest {

    private static final String ANSWER = """
            <think>
            The user wants the weather.
            </think>

            Checking.
            <tool_call>
            {"name": "get_weather", "arguments": {"city": "Paris"}}
            </tool_call>
            """;

    private static final ToolCall PARIS = new ToolCall(0, "id0", "get_weather", "{\"city\":\"Paris\"}");

    @Test
    void reasoningThenContentWithAToolCall() {
        var output = run(false, List.of(), true, List.of(ANSWER));
        assertEquals("\nThe user wants the weather.\n", output.reasoning());
        assertEquals("\n\nChecking.\n", output.content());
        assertEquals(List.of(PARIS), output.toolCalls());
        assertFalse(output.stopped());
        assertEquals(Optional.empty(), output.matchedStop());
    }

    @Test
    void charByCharGivesTheSameTotalsAsOnePiece() {
        for (boolean startsInReasoning : List.of(false, true)) {
            String text = startsInReasoning ? ANSWER.substring("<think>".length()) : ANSWER;
            var whole = run(startsInReasoning, List.of("<|im_end|>"), true, List.of(text));
            for (var pieces : Splits.many(text)) {
                var split = run(startsInReasoning, List.of("<|im_end|>"), true, pieces);
                assertEquals(whole.reasoning(), split.reasoning(), () -> "pieces " + pieces);
                assertEquals(whole.content(), split.content(), () -> "pieces " + pieces);
                assertEquals(whole.toolCalls(), split.toolCalls(), () -> "pieces " + pieces);
            }
        }
    }

    @Test
    void withoutToolParsingTheBlockIsContent() {
        var output = run(false, List.of(), false, List.of(ANSWER));
        assertEquals("\n\nChecking.\n" + ANSWER.substring(ANSWER.indexOf("<tool_call>")), output.content());
        assertEquals(List.of(), output.toolCalls());
    }

    @Test
    void stopStringInsideTheReasoningEndsEverything() {
        var output = new ChatOutput(false, List.of("STOP"), true, ids());
        assertEquals(new ChatOutput.Delta("ab ", "", List.of(), false), output.push("<think>ab ST"));
        assertEquals(new ChatOutput.Delta("", "", List.of(), true), output.push("OP cd</think>answer"));
        assertTrue(output.push("more").isEmpty());
        assertTrue(output.finish().isEmpty());
        assertEquals("ab ", output.reasoning());
        assertEquals("", output.content());
        assertTrue(output.stopped());
        assertEquals(Optional.of("STOP"), output.matchedStop());
    }

    @Test
    void stopStringSpanningTheEndOfThinking() {
        var output = run(false, List.of("done</think>"), true, List.of("<think>I am done</think>Paris"));
        assertEquals("I am ", output.reasoning());
        assertEquals("", output.content());
        assertEquals(Optional.of("done</think>"), output.matchedStop());

        // A stop that cuts the tag in half leaves that half as reasoning text.
        var cut = run(false, List.of("nk>\n\nPa"), true, List.of("<think>r</thi", "nk>\n\nParis"));
        assertEquals("r</thi", cut.reasoning());
        assertEquals("", cut.content());
        assertTrue(cut.stopped());
    }

    @Test
    void theStoppingPieceReleasesWhatLaterStagesHeld() {
        var output = new ChatOutput(false, List.of("<|im_end|>"), true, ids());
        assertEquals(new ChatOutput.Delta("", "Hi ", List.of(), false), output.push("Hi <tool"));
        assertEquals(new ChatOutput.Delta("", "<tool", List.of(), true), output.push("<|im_end|>"));
    }

    @Test
    void finishReleasesAHeldPrefixOfAStop() {
        var output = new ChatOutput(false, List.of("<|im_end|>"), true, ids());
        assertEquals(new ChatOutput.Delta("", "Hi ", List.of(), false), output.push("Hi <|im"));
        assertEquals(new ChatOutput.Delta("", "<|im", List.of(), false), output.finish());
        assertEquals("Hi <|im", output.content());
        assertFalse(output.stopped());
    }

    @Test
    void deltasCarryTheCallWhenItsBlockCloses() {
        var output = new ChatOutput(true, List.of(), true, ids());
        assertEquals(new ChatOutput.Delta("r", "", List.of(), false), output.push("r</think>"));
        assertTrue(output.push("<tool_call>{\"name\": \"get_weather\", ").isEmpty());
        assertEquals(new ChatOutput.Delta("", "", List.of(PARIS), false),
                output.push("\"arguments\": {\"city\": \"Paris\"}}</tool_call>\n"));
        assertTrue(output.finish().isEmpty());
    }

    private static ChatOutput run(boolean startsInReasoning, List<String> stops, boolean tools, List<String> pieces) {
        var output = new ChatOutput(startsInReasoning, stops, tools, ids());
        StringBuilder reasoning = new StringBuilder();
        StringBuilder content = new StringBuilder();
        pieces.forEach(piece -> append(output.push(piece), reasoning, content));
        append(output.finish(), reasoning, content);
        // The deltas add up to the totals.
        assertEquals(output.reasoning(), reasoning.toString());
        assertEquals(output.content(), content.toString());
        return output;
    }

    private static void append(ChatOutput.Delta delta, StringBuilder reasoning, StringBuilder content) {
        reasoning.append(delta.reasoning());
        content.append(delta.content());
    }

    private static Supplier<String> ids() {
        int[] next = {0};
        return () -> "id" + next[0]++;
    }
}

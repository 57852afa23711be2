package io.moemesh.core.response;

import static io.moemesh.core.response.ReasoningSplitter.Kind.CONTENT;
import static io.moemesh.core.response.ReasoningSplitter.Kind.REASONING;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.moemesh.core.response.ReasoningSplitter.Segment;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReasoningSplitterTest {

    @Test
    void promptOpenedThinkSoTextIsReasoningUntilItCloses() {
        var splitter = new ReasoningSplitter(true);
        assertEquals(List.of(new Segment(REASONING, "Let me think.\n"),
                        new Segment(CONTENT, "\n\nParis.")),
                splitter.push("Let me think.\n</think>\n\nParis."));
    }

    @Test
    void modelOpensThinkAfterWhitespaceWhichIsDropped() {
        assertEquals(new Totals("r", "\nc"), whole(false, " \n<think>r</think>\nc"));
    }

    @Test
    void thinkAfterContentIsPlainContent() {
        assertEquals(new Totals("", "Hi <think>x</think>"), whole(false, "Hi <think>x</think>"));
    }

    @Test
    void onlyOneThinkBlock() {
        assertEquals(new Totals("a", "b<think>c</think>d"), whole(false, "<think>a</think>b<think>c</think>d"));
        assertEquals(new Totals("a", "b</think>"), whole(true, "a</think>b</think>"));
    }

    @Test
    void tagSplitAcrossPiecesIsHeldUntilItCompletes() {
        var splitter = new ReasoningSplitter(true);
        assertEquals(List.of(new Segment(REASONING, "abc")), splitter.push("abc</thi"));
        assertEquals(List.of(new Segment(CONTENT, "x")), splitter.push("nk>x"));
    }

    @Test
    void heldTextThatTurnsOutNotToBeATagIsReleased() {
        var splitter = new ReasoningSplitter(true);
        assertEquals(List.of(new Segment(REASONING, "a")), splitter.push("a</th"));
        assertEquals(List.of(new Segment(REASONING, "</tho")), splitter.push("o"));
        var leading = new ReasoningSplitter(false);
        assertEquals(List.of(), leading.push("\n<thi"));
        assertEquals(List.of(new Segment(CONTENT, "\n<thing")), leading.push("ng"));
    }

    @Test
    void flushReleasesAHalfTagAsTextOfItsPart() {
        var reasoning = new ReasoningSplitter(true);
        reasoning.push("a</thi");
        assertEquals(List.of(new Segment(REASONING, "</thi")), reasoning.flush());
        var leading = new ReasoningSplitter(false);
        leading.push(" <th");
        assertEquals(List.of(new Segment(CONTENT, " <th")), leading.flush());
    }

    @Test
    void noEmptySegments() {
        var splitter = new ReasoningSplitter(false);
        assertEquals(List.of(), splitter.push("<think>"));
        assertEquals(List.of(), splitter.push("</think>"));
        assertEquals(List.of(), splitter.flush());
    }

    @Test
    void opensReasoningWhenTheLastThinkIsStillOpen() {
        assertTrue(ReasoningSplitter.opensReasoning("<|im_start|>assistant\n<think>\n"));
        assertTrue(ReasoningSplitter.opensReasoning("<think>a</think>b<think>"));
        assertFalse(ReasoningSplitter.opensReasoning("<|im_start|>assistant\n<think>\n\n</think>\n\n"));
        assertFalse(ReasoningSplitter.opensReasoning("<|im_start|>assistant\n"));
    }

    @Test
    void anySplitGivesTheSameReasoningAndContent() {
        for (String text : List.of("<think>ab</think>cd", " <think>x</think>", "a<think>b", "<thin", " <tx")) {
            Totals expected = whole(false, text);
            for (var pieces : Splits.all(text)) {
                assertEquals(expected, split(false, pieces), () -> "pieces " + pieces);
            }
        }
        for (String text : List.of("r</think>c</think>", "r</thi", "</think>")) {
            Totals expected = whole(true, text);
            for (var pieces : Splits.all(text)) {
                assertEquals(expected, split(true, pieces), () -> "pieces " + pieces);
            }
        }
        String longText = "\n<think>\nThe user asks </thin about x.\n</think>\n\nIt is <think>y</think>.";
        assertEquals(new Totals("\nThe user asks </thin about x.\n", "\n\nIt is <think>y</think>."),
                whole(false, longText));
        for (var pieces : Splits.many(longText)) {
            assertEquals(whole(false, longText), split(false, pieces), () -> "pieces " + pieces);
        }
    }

    private record Totals(String reasoning, String content) {
    }

    private static Totals whole(boolean startsInReasoning, String text) {
        return split(startsInReasoning, List.of(text));
    }

    private static Totals split(boolean startsInReasoning, List<String> pieces) {
        var splitter = new ReasoningSplitter(startsInReasoning);
        List<Segment> segments = new ArrayList<>();
        pieces.forEach(piece -> segments.addAll(splitter.push(piece)));
        segments.addAll(splitter.flush());
        StringBuilder reasoning = new StringBuilder();
        StringBuilder content = new StringBuilder();
        for (var segment : segments) {
            assertFalse(segment.text().isEmpty(), "empty segment");
            (segment.kind() == REASONING ? reasoning : content).append(segment.text());
        }
        return new Totals(reasoning.toString(), content.toString());
    }
}

package io.moemesh.core.response;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class StopStringsTest {

    @Test
    void releasesTextThatCannotStartAStopAndHoldsTheRest() {
        var stops = new StopStrings(List.of("</s>"));
        assertEquals("hello ", stops.push("hello </").text());
        assertEquals("</x", stops.push("x").text());
        assertEquals("", stops.push("<").text());
        assertEquals("<", stops.flush().text());
    }

    @Test
    void stopSpanningPiecesCutsBeforeIt() {
        var stops = new StopStrings(List.of("<|im_end|>"));
        assertEquals("Hi", stops.push("Hi<|im").text());
        var result = stops.push("_end|> more");
        assertEquals("", result.text());
        assertTrue(result.stopped());
        assertEquals(Optional.of("<|im_end|>"), result.matchedStop());
        assertEquals("", stops.push("again").text());
        assertFalse(stops.push("again").stopped());
        assertEquals("", stops.flush().text());
    }

    @Test
    void earliestMatchWinsEvenWhenALaterShorterStopCompletesFirst() {
        var stops = new StopStrings(List.of("abcd", "bc"));
        assertEquals("z", stops.push("zabc").text()); // "bc" complete, but "abcd" began earlier
        var result = stops.push("d");
        assertEquals(Optional.of("abcd"), result.matchedStop());
        assertEquals("", result.text());
    }

    @Test
    void flushStopsAtAMatchHeldForALongerStopThatNeverCompleted() {
        var stops = new StopStrings(List.of("abcd", "bc"));
        assertEquals("z", stops.push("zabc").text());
        var end = stops.flush();
        assertEquals("a", end.text());
        assertEquals(Optional.of("bc"), end.matchedStop());
    }

    @Test
    void noStopsPassesThroughWithoutHoldback() {
        var stops = new StopStrings(List.of());
        assertEquals("a<|", stops.push("a<|").text());
        assertEquals("", stops.flush().text());
    }

    @Test
    void emptyStopStringIsRejected() {
        var e = assertThrows(IllegalArgumentException.class, () -> new StopStrings(List.of("x", "")));
        assertTrue(e.getMessage().contains("empty"), e.getMessage());
    }

    @Test
    void anySplitEmitsTheTextUpToTheFirstStop() {
        record Case(List<String> stops, String text) {
        }
        for (var c : List.of(
                new Case(List.of("</s>", "STOP"), "a </ b </s> c"),
                new Case(List.of("abcd", "bc"), "zabcd"),
                new Case(List.of("abcd", "bc"), "zabce"),
                new Case(List.of("abcd", "bc"), "zabc"),
                new Case(List.of("aab"), "aaaab"),
                new Case(List.of("ab", "abc"), "xabc"),
                new Case(List.of("<|im_end|>"), "no stop <|im"),
                new Case(List.of(), "a b c"))) {
            for (var pieces : Splits.all(c.text())) {
                assertSplitMatchesWhole(c.stops(), c.text(), pieces);
            }
        }
        String longText = "The answer is 42.</s>\nUser: STOP that</s>";
        for (var pieces : Splits.many(longText)) {
            assertSplitMatchesWhole(List.of("User:", "</s>\n", "STOP"), longText, pieces);
        }
    }

    private static void assertSplitMatchesWhole(List<String> stopList, String text, List<String> pieces) {
        var stops = new StopStrings(stopList);
        StringBuilder emitted = new StringBuilder();
        Optional<String> matched = Optional.empty();
        for (String piece : pieces) {
            var result = stops.push(piece);
            emitted.append(result.text());
            matched = result.stopped() ? result.matchedStop() : matched;
        }
        var end = stops.flush();
        emitted.append(end.text());
        matched = end.stopped() ? end.matchedStop() : matched;

        int at = text.length();
        String first = null;
        for (String stop : stopList) {
            int i = text.indexOf(stop);
            if (i >= 0 && (i < at || i == at && stop.length() < first.length())) {
                at = i;
                first = stop;
            }
        }
        assertEquals(text.substring(0, at), emitted.toString(), () -> "pieces " + pieces);
        assertEquals(Optional.ofNullable(first), matched, () -> "pieces " + pieces);
    }
}

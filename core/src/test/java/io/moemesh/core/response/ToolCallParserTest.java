package io.moemesh.core.response;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.moemesh.core.response.ToolCallParser.Event;
import io.moemesh.core.response.ToolCallParser.Text;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

class ToolCallParserTest {

    private static final String WEATHER = """
            <tool_call>
            {"name": "get_weather", "arguments": {"city": "Paris"}}
            </tool_call>""";

    @Test
    void singleCall() {
        var parser = new ToolCallParser(countingIds());
        assertEquals(List.of(new ToolCall(0, "id0", "get_weather", "{\"city\":\"Paris\"}")), parser.push(WEATHER));
        assertTrue(parser.sawToolCall());
    }

    @Test
    void twoCallsWithoutTheWhitespaceBetweenOrAfterThem() {
        String text = WEATHER + "\n" + WEATHER.replace("Paris", "Rome") + "\n";
        assertEquals(List.of(new ToolCall(0, "id0", "get_weather", "{\"city\":\"Paris\"}"),
                        new ToolCall(1, "id1", "get_weather", "{\"city\":\"Rome\"}")),
                whole(text));
    }

    @Test
    void textBeforeAndAfterACallIsKept() {
        assertEquals(List.of(new Text("Let me check.\n"),
                        new ToolCall(0, "id0", "get_weather", "{\"city\":\"Paris\"}"),
                        new Text("\n\nDone.")),
                whole("Let me check.\n" + WEATHER + "\n\nDone."));
    }

    @Test
    void noCallMeansAllText() {
        var parser = new ToolCallParser(countingIds());
        assertEquals(List.of(new Text("a < b ")), parser.push("a < b <tool"));
        assertEquals(List.of(new Text("<tool")), parser.flush());
        assertFalse(parser.sawToolCall());
    }

    @Test
    void malformedJsonStaysAsContentAndIsNotCounted() {
        String bad = "<tool_call>\n{\"name\": \"f\", \"arguments\": {\"a\": }\n</tool_call>";
        assertEquals(List.of(new Text(bad), new ToolCall(0, "id0", "get_weather", "{\"city\":\"Paris\"}")),
                whole(bad + WEATHER));
    }

    @Test
    void blockThatIsNotACallStaysAsContent() {
        for (String body : List.of("{\"arguments\": {}}", "{\"name\": 3}", "{\"name\": \"\"}", "[1]",
                "{\"name\": \"f\", \"arguments\": [1]}", "{\"name\": \"f\", \"arguments\": \"[1]\"}",
                "{\"name\": \"f\"} trailing", "")) {
            String block = "<tool_call>" + body + "</tool_call>";
            assertEquals(List.of(new Text(block)), whole(block), block);
        }
    }

    @Test
    void unterminatedBlockStaysAsContent() {
        String text = "Hi <tool_call>\n{\"name\": \"f\", \"arguments\": {";
        var parser = new ToolCallParser(countingIds());
        assertEquals(List.of(new Text("Hi ")), parser.push(text));
        assertEquals(List.of(new Text("<tool_call>\n{\"name\": \"f\", \"arguments\": {")), parser.flush());
    }

    @Test
    void argumentsGivenAsAJsonString() {
        assertEquals(List.of(new ToolCall(0, "id0", "f", "{\"x\":[1,2]}")),
                whole("<tool_call>{\"name\": \"f\", \"arguments\": \"{\\\"x\\\": [1, 2]}\"}</tool_call>"));
    }

    @Test
    void parametersIsAnAliasAndAbsentArgumentsAreEmpty() {
        assertEquals(List.of(new ToolCall(0, "id0", "f", "{\"x\":1}"), new ToolCall(1, "id1", "g", "{}")),
                whole("<tool_call>{\"name\": \"f\", \"parameters\": {\"x\": 1}}</tool_call>"
                        + "<tool_call>{\"name\": \"g\"}</tool_call>"));
    }

    @Test
    void nestedBracesInArguments() {
        assertEquals(List.of(new ToolCall(0, "id0", "f", "{\"a\":{\"b\":[1,{\"c\":\"}{\"}]}}")),
                whole("<tool_call>\n{\"name\": \"f\", \"arguments\": {\"a\": {\"b\": [1, {\"c\": \"}{\"}]}}}\n</tool_call>"));
    }

    /** The closing tag counts only outside JSON strings, so arguments may contain it. */
    @Test
    void closingTagInsideAJsonStringDoesNotEndTheBlock() {
        assertEquals(List.of(new ToolCall(0, "id0", "run", "{\"code\":\"a </tool_call> b\"}")),
                whole("<tool_call>{\"name\": \"run\", \"arguments\": {\"code\": \"a </tool_call> b\"}}</tool_call>"));
        assertEquals(List.of(new ToolCall(0, "id0", "say", "{\"s\":\"\\\"</tool_call>\\\\\"}")),
                whole("<tool_call>{\"name\": \"say\", \"arguments\": {\"s\": \"\\\"</tool_call>\\\\\"}}</tool_call>"));
    }

    /** The price of honouring strings: after a stray quote the block only ends with the output. */
    @Test
    void strayQuoteKeepsTheBlockOpenUntilTheEnd() {
        String text = "<tool_call>{\"name\": \"f\"\"}</tool_call>after";
        var parser = new ToolCallParser(countingIds());
        assertEquals(List.of(), parser.push(text));
        assertEquals(List.of(new Text(text)), parser.flush());
    }

    @Test
    void anySplitGivesTheSameEvents() {
        String text = "Sure.\n" + WEATHER + "\n\n<tool_call>{\"name\": \"run\", \"arguments\": "
                + "{\"code\": \"x </tool_call> \\\" <tool_call>\"}}</tool_call>\n<tool_call>{bad}</tool_call> end <tool";
        List<Event> expected = List.of(new Text("Sure.\n"),
                new ToolCall(0, "id0", "get_weather", "{\"city\":\"Paris\"}"),
                new ToolCall(1, "id1", "run", "{\"code\":\"x </tool_call> \\\" <tool_call>\"}"),
                new Text("<tool_call>{bad}</tool_call> end <tool"));
        assertEquals(expected, whole(text));
        for (var pieces : Splits.many(text)) {
            assertEquals(expected, split(pieces), () -> "pieces " + pieces);
        }
    }

    @Test
    void defaultIdsLookLikeOpenAis() {
        Supplier<String> ids = ToolCallParser.defaultIds();
        String id = ids.get();
        assertTrue(id.matches("call_[A-Za-z0-9]{24}"), id);
        assertFalse(id.equals(ids.get()));
    }

    private static Supplier<String> countingIds() {
        int[] next = {0};
        return () -> "id" + next[0]++;
    }

    private static List<Event> whole(String text) {
        return split(List.of(text));
    }

    /** All events of the pieces and the flush, adjacent texts merged, since where text is cut is free. */
    private static List<Event> split(List<String> pieces) {
        var parser = new ToolCallParser(countingIds());
        List<Event> events = new ArrayList<>();
        pieces.forEach(piece -> events.addAll(parser.push(piece)));
        events.addAll(parser.flush());
        List<Event> merged = new ArrayList<>();
        for (Event event : events) {
            if (event instanceof Text t && t.text().isEmpty()) {
                throw new AssertionError("empty text event");
            }
            if (event instanceof Text t && !merged.isEmpty() && merged.getLast() instanceof Text last) {
                merged.set(merged.size() - 1, new Text(last.text() + t.text()));
            } else {
                merged.add(event);
            }
        }
        return merged;
    }
}

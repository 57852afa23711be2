package io.moemesh.cli;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** bench serve's reading of an OpenAI chat.completion.chunk event stream, on canned transcripts. */
class ChatStreamTest {
    private static final String ID = "\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\"";

    private static String chunk(String delta, String finish) {
        return "data: {" + ID + ",\"choices\":[{\"index\":0,\"delta\":" + delta + ",\"logprobs\":null,\"finish_reason\":"
                + (finish == null ? "null" : "\"" + finish + "\"") + "}],\"usage\":null}";
    }

    /** Feeds the lines at 1000 ns + 10 ns per line, the request having been sent at 1000 ns. */
    private static ChatStream.Result read(List<String> lines) {
        ChatStream s = new ChatStream(1000);
        long t = 1000;
        for (String line : lines) {
            t += 10;
            s.line(line, t);
        }
        return s.finish(t + 10);
    }

    @Test
    void timesFirstTokenGapsAndTakesTokensFromUsage() {
        ChatStream.Result r = read(List.of(
                ": a comment",                                   // t=1010
                chunk("{\"role\":\"assistant\",\"content\":\"\"}", null), "",    // 1020, 1030: no text yet
                chunk("{\"content\":\"Hel\"}", null), "",        // 1040: first token
                chunk("{\"content\":\"lo\"}", null), "",         // 1060
                chunk("{\"content\":\"\"}", null), "",           // 1080: empty, not a token
                chunk("{\"content\":\" world\"}", null), "",     // 1100
                chunk("{}", "length"), "",                       // 1120
                "data: {" + ID + ",\"choices\":[],\"usage\":{\"prompt_tokens\":80,\"completion_tokens\":4,\"total_tokens\":84}}",
                "",
                "data: [DONE]", ""));
        assertEquals(40, r.ttftNanos());
        assertArrayEquals(new long[]{20, 40}, r.gapNanos());
        assertEquals(4, r.completionTokens(), "usage wins over counted chunks (a chunk may hold two tokens)");
        assertTrue(r.usageReported());
        assertEquals(80, r.promptTokens());
        assertEquals("length", r.finishReason());
        assertEquals(1180 - 1000, r.totalNanos(), "17 lines, the body ending 10 ns after the last");
    }

    @Test
    void reasoningContentCountsAndChunksAreCountedWithoutUsage() {
        ChatStream.Result r = read(List.of(
                chunk("{\"role\":\"assistant\"}", null), "",
                chunk("{\"reasoning_content\":\"Hmm\"}", null), "",
                chunk("{\"content\":\"Yes\"}", "stop"), "",
                "data: [DONE]", ""));
        assertEquals(30, r.ttftNanos());
        assertEquals(2, r.completionTokens());
        assertFalse(r.usageReported());
        assertEquals(-1, r.promptTokens());
        assertEquals("stop", r.finishReason());
    }

    @Test
    void dataLinesWithoutSpaceCarriageReturnsAndMultiLineEventsParse() {
        // "data:x" (no space) is the same field; an event's data lines join with a newline, which JSON allows
        ChatStream.Result r = read(List.of(
                "event: message",
                "data:{" + ID + ",\"choices\":[{\"index\":0,",
                "data:\"delta\":{\"content\":\"A\"},\"finish_reason\":null}]}",
                "",
                "data:[DONE]"));                                  // the body may end without the last blank line
        assertEquals(1, r.completionTokens());
        assertEquals(20, r.ttftNanos(), "an event is timed by its first data line");
    }

    @Test
    void aStreamWithoutDoneOrWithAnErrorFails() {
        ChatStream cut = new ChatStream(0);
        cut.line(chunk("{\"content\":\"A\"}", null), 1);
        cut.line("", 2);
        assertFalse(cut.done());
        assertTrue(assertThrows(IllegalStateException.class, () -> cut.finish(3)).getMessage().contains("[DONE]"));

        ChatStream failed = new ChatStream(0);
        failed.line("data: {\"error\":{\"message\":\"the engine stopped\",\"type\":\"internal_error\",\"code\":500}}", 1);
        failed.line("", 2);
        failed.line("data: [DONE]", 3);
        assertTrue(assertThrows(IllegalStateException.class, () -> failed.finish(4)).getMessage().contains("the engine stopped"));
    }

    @Test
    void aGenerationWithoutTextHasNoFirstToken() {
        ChatStream.Result r = read(List.of(chunk("{\"role\":\"assistant\",\"content\":\"\"}", "stop"), "", "data: [DONE]", ""));
        assertEquals(-1, r.ttftNanos());
        assertEquals(0, r.completionTokens());
    }

    @Test
    void levelStatistics() {
        var a = new ChatStream.Result(10_000_000, 1_000_000_000, 10, 70, new long[]{2_000_000, 4_000_000}, "length", true);
        var b = new ChatStream.Result(30_000_000, 500_000_000, 10, 72, new long[]{6_000_000}, "length", true);
        BenchServeCommand.Level l = BenchServeCommand.level(2, List.of(a, b), 1_000_000_000);
        assertEquals(20, l.completionTokens());
        assertEquals(20.0, l.aggregateTps(), 1e-9);
        assertEquals(10.0, l.streamTpsP50(), 1e-9, "nearest rank: the lower of two");
        assertEquals(10.0, l.ttftP50Ms(), 1e-9);
        assertEquals(30.0, l.ttftP99Ms(), 1e-9);
        assertEquals(4.0, l.itlP50Ms(), 1e-9);
        assertTrue(Double.isNaN(BenchServeCommand.percentile(new double[0], 0.5)));
    }
}

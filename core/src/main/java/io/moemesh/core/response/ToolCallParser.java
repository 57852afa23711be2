package io.moemesh.core.response;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;

/**
 * Finds Qwen3's Hermes-style tool calls in streamed content:
 * <pre>{@code
 * <tool_call>
 * {"name": "get_weather", "arguments": {"city": "Paris"}}
 * </tool_call>
 * }</pre>
 * A block is buffered until it closes and then parsed; one that does not parse, or never closes,
 * comes out as text with its tags, so no output of the model is ever lost.
 * <p>
 * Inside a block a {@code </tool_call>} within a JSON string does not close it, so arguments may
 * carry that text; the price is that a block with an unbalanced quote only ends at the end of the
 * output, where it is released as text.
 */
public final class ToolCallParser {

    static final String OPEN = "<tool_call>";
    static final String CLOSE = "</tool_call>";

    public sealed interface Event permits Text, ToolCall {
    }

    public record Text(String text) implements Event {
    }

    private enum State {
        TEXT,
        BLOCK,
        /** Right after a call: whitespace is held, dropped if another block or the end follows. */
        AFTER_CALL
    }

    private static final String ALPHANUMERICS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    private final Supplier<String> ids;
    private State state = State.TEXT;
    private String held = "";
    private final StringBuilder block = new StringBuilder();
    private final JsonStringScan close = new JsonStringScan(CLOSE);
    private int calls;

    public ToolCallParser(Supplier<String> idGenerator) {
        this.ids = idGenerator;
    }

    /** Ids in OpenAI's shape: {@code call_} and 24 random letters and digits. */
    public static Supplier<String> defaultIds() {
        return () -> {
            ThreadLocalRandom random = ThreadLocalRandom.current();
            StringBuilder id = new StringBuilder("call_");
            for (int i = 0; i < 24; i++) {
                id.append(ALPHANUMERICS.charAt(random.nextInt(ALPHANUMERICS.length())));
            }
            return id.toString();
        };
    }

    public boolean sawToolCall() {
        return calls > 0;
    }

    public List<Event> push(String contentPiece) {
        List<Event> out = new ArrayList<>(2);
        String text = held + contentPiece;
        held = "";
        while (!text.isEmpty()) {
            text = switch (state) {
                case TEXT -> text(text, out);
                case BLOCK -> block(text, out);
                case AFTER_CALL -> afterCall(text);
            };
        }
        return out;
    }

    /** At the end of the output an unclosed block is text, as is a half tag; whitespace after a call is dropped. */
    public List<Event> flush() {
        List<Event> out = new ArrayList<>(1);
        switch (state) {
            case TEXT -> addText(out, held);
            case BLOCK -> addText(out, OPEN + block);
            case AFTER_CALL -> addText(out, held.isBlank() ? "" : held);
        }
        held = "";
        block.setLength(0);
        state = State.TEXT;
        return out;
    }

    /** Each step consumes some of the text and returns the rest for the state it leaves. */
    private String text(String text, List<Event> out) {
        int open = text.indexOf(OPEN);
        if (open < 0) {
            int keep = Holdback.length(text, OPEN);
            held = text.substring(text.length() - keep);
            addText(out, text.substring(0, text.length() - keep));
            return "";
        }
        addText(out, text.substring(0, open));
        startBlock();
        return text.substring(open + OPEN.length());
    }

    private String block(String text, List<Event> out) {
        block.append(text);
        int end = close.find(block);
        if (end < 0) {
            return "";
        }
        String body = block.substring(0, end);
        String rest = block.substring(end + CLOSE.length());
        var call = ToolCallBody.parse(body);
        if (call.isPresent()) {
            out.add(new ToolCall(calls++, ids.get(), call.get().name(), call.get().argumentsJson()));
            state = State.AFTER_CALL;
        } else {
            addText(out, OPEN + body + CLOSE);
            state = State.TEXT;
        }
        block.setLength(0);
        return rest;
    }

    private String afterCall(String text) {
        String rest = text.stripLeading();
        if (rest.startsWith(OPEN)) {
            startBlock();
            return rest.substring(OPEN.length());
        }
        if (OPEN.startsWith(rest)) {
            held = text;
            return "";
        }
        // Text follows the calls: it keeps the whitespace before it.
        state = State.TEXT;
        return text;
    }

    private void startBlock() {
        state = State.BLOCK;
        block.setLength(0);
        close.reset();
    }

    private static void addText(List<Event> out, String text) {
        if (text.isEmpty()) {
            return;
        }
        if (!out.isEmpty() && out.getLast() instanceof Text last) {
            out.set(out.size() - 1, new Text(last.text() + text));
        } else {
            out.add(new Text(text));
        }
    }
}

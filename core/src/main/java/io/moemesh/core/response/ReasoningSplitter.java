package io.moemesh.core.response;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits Qwen3's output into reasoning (inside its one {@code <think>...</think>} block) and
 * content (the answer). The tags are never emitted; text after {@code </think>} is content verbatim,
 * as vLLM returns it.
 */
public final class ReasoningSplitter {

    static final String OPEN = "<think>";
    static final String CLOSE = "</think>";

    public enum Kind { REASONING, CONTENT }

    public record Segment(Kind kind, String text) {
    }

    private enum State {
        /** Only whitespace so far: the model may still open its own think block. */
        LEADING,
        REASONING,
        /** The think block is over, or was never opened: tags are plain text from here on. */
        CONTENT
    }

    private State state;
    private String held = "";

    /**
     * @param startsInReasoning the prompt already opened {@code <think>} (see {@link #opensReasoning}),
     *                          so the text is reasoning until {@code </think>}
     */
    public ReasoningSplitter(boolean startsInReasoning) {
        state = startsInReasoning ? State.REASONING : State.LEADING;
    }

    /** True when the prompt leaves a think block open for the model to continue. */
    public static boolean opensReasoning(String promptText) {
        return promptText.lastIndexOf(OPEN) > promptText.lastIndexOf(CLOSE);
    }

    public List<Segment> push(String piece) {
        List<Segment> out = new ArrayList<>(2);
        String text = held + piece;
        held = "";
        if (state == State.LEADING) {
            text = leading(text, out);
        }
        if (state == State.REASONING) {
            int close = text.indexOf(CLOSE);
            if (close < 0) {
                int keep = Holdback.length(text, CLOSE);
                held = text.substring(text.length() - keep);
                add(out, Kind.REASONING, text.substring(0, text.length() - keep));
                return out;
            }
            add(out, Kind.REASONING, text.substring(0, close));
            text = text.substring(close + CLOSE.length());
            state = State.CONTENT;
        }
        if (state == State.CONTENT) {
            add(out, Kind.CONTENT, text);
        }
        return out;
    }

    /** At the end of the text a half tag held back is just text of the part it was in. */
    public List<Segment> flush() {
        List<Segment> out = new ArrayList<>(1);
        add(out, state == State.REASONING ? Kind.REASONING : Kind.CONTENT, held);
        held = "";
        return out;
    }

    /**
     * Decides whether leading text opens a think block; returns what is left for the new state, or
     * holds it all while it could still become {@code <think>}.
     */
    private String leading(String text, List<Segment> out) {
        String rest = text.stripLeading();
        if (rest.startsWith(OPEN)) {
            // Whitespace before the model's own <think> is not part of the answer.
            state = State.REASONING;
            return rest.substring(OPEN.length());
        }
        if (OPEN.startsWith(rest)) {
            held = text;
            return "";
        }
        state = State.CONTENT;
        return text;
    }

    private static void add(List<Segment> out, Kind kind, String text) {
        if (text.isEmpty()) {
            return;
        }
        if (!out.isEmpty() && out.getLast().kind() == kind) {
            out.set(out.size() - 1, new Segment(kind, out.getLast().text() + text));
        } else {
            out.add(new Segment(kind, text));
        }
    }
}

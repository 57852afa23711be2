package io.moemesh.core.engine;

import io.moemesh.core.tokenizer.Tokenizer;

/**
 * Qwen3's thinking budget, as the Qwen3 technical report describes it: once the model has produced {@code budget}
 * tokens inside its {@code <think>} block without closing it, the server writes the closing sentence and
 * {@code </think>} for it, and the model goes on to the answer. Only the first think block counts.
 */
public final class ThinkingBudget implements Steering {
    /** What the report has the server append, word for word. */
    public static final String CLOSING_TEXT =
            "Considering the limited time by the user, I have to give the solution based on the thinking directly now.\n</think>.\n\n";

    private final int budget;
    private final int thinkOpen;
    private final int thinkClose;
    private final int[] closing;
    private boolean inside;
    private boolean done;
    private int thought;

    /**
     * @param startsInside the prompt already opened {@code <think>} (an assistant prefill, or a template that opens it)
     */
    public ThinkingBudget(int budget, int thinkOpen, int thinkClose, int[] closing, boolean startsInside) {
        if (budget < 0) {
            throw new IllegalArgumentException("thinking_budget must be >= 0, got " + budget);
        }
        this.budget = budget;
        this.thinkOpen = thinkOpen;
        this.thinkClose = thinkClose;
        this.closing = closing.clone();
        this.inside = startsInside;
        if (startsInside && budget == 0) {
            throw new IllegalArgumentException("a thinking budget of 0 cannot start inside <think>: render the prompt without thinking");
        }
    }

    /**
     * For a Qwen3 tokenizer ({@code <think>} and {@code </think>} are single tokens), with the prompt's own state:
     * inside a think block when its last {@code <think>} is not closed.
     *
     * @throws IllegalArgumentException the tokenizer has no think tokens (not a Qwen3 tokenizer)
     */
    public static ThinkingBudget forQwen3(Tokenizer tokenizer, int budget, int[] prompt) {
        int open = tokenizer.tokenId("<think>").orElseThrow(() ->
                new IllegalArgumentException("thinking_budget needs a tokenizer with a <think> token"));
        int close = tokenizer.tokenId("</think>").orElseThrow(() ->
                new IllegalArgumentException("thinking_budget needs a tokenizer with a </think> token"));
        return new ThinkingBudget(budget, open, close, tokenizer.encode(CLOSING_TEXT), opensThinking(prompt, open, close));
    }

    /** Whether the ids end inside a think block: the last {@code <think>} comes after the last {@code </think>}. */
    public static boolean opensThinking(int[] ids, int open, int close) {
        for (int i = ids.length - 1; i >= 0; i--) {
            if (ids[i] == close) {
                return false;
            }
            if (ids[i] == open) {
                return true;
            }
        }
        return false;
    }

    @Override
    public int[] after(int token) {
        if (done) {
            return NONE;
        }
        if (!inside) {
            if (token == thinkOpen) {
                inside = true;
                if (budget == 0) {
                    done = true;
                    return closing.clone();
                }
            }
            return NONE;
        }
        if (token == thinkClose) {
            done = true;
            return NONE;
        }
        thought++;
        if (thought >= budget) {
            done = true;
            return closing.clone();
        }
        return NONE;
    }

    /** Tokens the model thought before the budget closed the block (or it closed it itself). */
    public int thought() {
        return thought;
    }
}

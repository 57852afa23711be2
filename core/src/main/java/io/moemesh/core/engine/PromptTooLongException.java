package io.moemesh.core.engine;

/** The prompt does not fit the model's context: the API answers it with {@code context_length_exceeded}. */
public final class PromptTooLongException extends IllegalArgumentException {
    private final int promptTokens;
    private final int contextTokens;

    public PromptTooLongException(int promptTokens, int contextTokens) {
        super("the prompt has " + promptTokens + " tokens; the model's context is " + contextTokens
                + " tokens, and at least one must be left to generate");
        this.promptTokens = promptTokens;
        this.contextTokens = contextTokens;
    }

    public int promptTokens() {
        return promptTokens;
    }

    public int contextTokens() {
        return contextTokens;
    }
}

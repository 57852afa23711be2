package io.moemesh.gateway.serving;

/**
 * Tokens a request used, as OpenAI counts them: the prompt once however many choices, completion tokens over all
 * choices, and of those the ones inside the think block (forced closing text included).
 */
public record Usage(int promptTokens, int completionTokens, int reasoningTokens) {
    public int totalTokens() {
        return promptTokens + completionTokens;
    }
}

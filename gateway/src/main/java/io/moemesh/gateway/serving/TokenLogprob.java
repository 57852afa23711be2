package io.moemesh.gateway.serving;

import java.util.List;

/**
 * A generated token with its log-probability and the most likely alternatives, as OpenAI's {@code logprobs.content[]}
 * reports it. {@code token} is the token's text (a lone part of a multi-byte character decodes lossily, which is
 * why {@code bytes} is there too).
 */
public record TokenLogprob(String token, float logprob, byte[] bytes, List<TokenLogprob> top) {
}

package io.moemesh.core.tokenizer;

import java.util.Arrays;

/**
 * Turns a stream of generated ids into text without ever emitting half a character.
 *
 * <p>Byte-level BPE splits multi-byte UTF-8 characters across tokens (an emoji is often two or
 * three tokens), so decoding token by token would print U+FFFD garbage mid-stream. This decoder
 * keeps the bytes of an incomplete trailing character until a later token completes it. Bytes that
 * can never become valid are emitted as U+FFFD at once, so the concatenation of every
 * {@link #push} plus {@link #flush} equals {@link Tokenizer#decode(int[], boolean)} of the same ids.
 *
 * <p>Not thread-safe: use one per generation stream.
 */
public final class IncrementalDecoder {
    private final Tokenizer tokenizer;
    private final boolean skipSpecialTokens;
    private byte[] pending = new byte[16];
    private int pendingLength;

    IncrementalDecoder(Tokenizer tokenizer, boolean skipSpecialTokens) {
        this.tokenizer = tokenizer;
        this.skipSpecialTokens = skipSpecialTokens;
    }

    /**
     * Adds one token and returns the text it completed ("" while a multi-byte character is still
     * incomplete, or for a skipped special token or an id past the vocabulary).
     *
     * @throws TokenizerException for a negative id
     */
    public String push(int id) {
        byte[] bytes = tokenizer.bytesForDecode(id, skipSpecialTokens);
        if (bytes.length == 0) {
            return "";
        }
        if (pendingLength + bytes.length > pending.length) {
            pending = Arrays.copyOf(pending, Math.max(pending.length * 2, pendingLength + bytes.length));
        }
        System.arraycopy(bytes, 0, pending, pendingLength, bytes.length);
        pendingLength += bytes.length;
        StringBuilder out = new StringBuilder(pendingLength);
        int consumed = Utf8.decode(pending, 0, pendingLength, out, false);
        // At most 3 bytes of an incomplete character remain.
        System.arraycopy(pending, consumed, pending, 0, pendingLength - consumed);
        pendingLength -= consumed;
        return out.toString();
    }

    /** Returns whatever is left (an incomplete character becomes U+FFFD) and resets the decoder. */
    public String flush() {
        String rest = Utf8.decode(pending, 0, pendingLength);
        pendingLength = 0;
        return rest;
    }
}

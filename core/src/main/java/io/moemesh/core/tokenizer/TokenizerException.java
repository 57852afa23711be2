package io.moemesh.core.tokenizer;

/**
 * A tokenizer file that cannot be read or understood, or an id that has no meaning.
 *
 * <p>Unchecked because a broken tokenizer is a deployment error the caller cannot recover from
 * locally; the message always names the file (or the id) so the operator knows what to fix.
 */
public final class TokenizerException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public TokenizerException(String message) {
        super(message);
    }

    public TokenizerException(String message, Throwable cause) {
        super(message, cause);
    }
}

package io.moemesh.core.engine;

/**
 * Tokens the server writes into a generation after the model chose one: how a thinking budget closes the reasoning.
 * Called on the scheduler's thread, once per generated token, in order; one instance per generation (it may count).
 */
public interface Steering {
    int[] NONE = {};

    /** @return the tokens to append after {@code token} (fed to the model as if it had produced them), or {@link #NONE} */
    int[] after(int token);
}

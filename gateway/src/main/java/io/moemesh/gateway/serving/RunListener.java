package io.moemesh.gateway.serving;

/**
 * Where a {@link ServingRun}'s output goes, called on the scheduler's thread in order: deltas of any choice, each
 * choice's finish, then {@link #onDone} once; or {@link #onError} once, after which nothing else comes.
 */
public interface RunListener {
    void onDelta(ChoiceDelta delta);

    /** @param finishReason "stop", "length" or "tool_calls" */
    void onChoiceFinished(int choice, String finishReason);

    void onDone(Usage usage);

    void onError(RuntimeException error);
}

package io.moemesh.core.roles;

/**
 * Where one sequence's new tokens sit in a step batch: rows {@code [firstRow, firstRow + tokens)} of the batch's
 * [rows, hidden] activations. Attention needs the split (each sequence has its own KV cache); the feed-forward
 * half does not (it is per row).
 */
public record SequenceRows(long sequenceId, int firstRow, int tokens) {
    public SequenceRows {
        if (firstRow < 0 || tokens <= 0) {
            throw new IllegalArgumentException("sequence " + sequenceId + ": rows [" + firstRow + ", +" + tokens + ")");
        }
    }
}

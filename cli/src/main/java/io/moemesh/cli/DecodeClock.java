package io.moemesh.cli;

import java.util.ArrayList;
import java.util.List;

/**
 * Arrival times of the tokens of a batch of concurrent generations. Decode speed is measured from the moment every
 * sequence has its first token (prefill done for all) to the last token: tokens in that window per second. The
 * same clock times the embedded engine and the mesh, so their ratio compares like with like.
 */
final class DecodeClock {
    private final List<long[]> arrivals = new ArrayList<>();
    private final int[] counts;

    DecodeClock(int sequences, int tokensEach) {
        counts = new int[sequences];
        for (int i = 0; i < sequences; i++) {
            arrivals.add(new long[tokensEach]);
        }
    }

    /** Called from any thread. */
    void token(int sequence) {
        long now = System.nanoTime();
        synchronized (arrivals.get(sequence)) {
            arrivals.get(sequence)[counts[sequence]++] = now;
        }
    }

    /** Aggregate decode tokens per second over all sequences. */
    synchronized double decodeTokensPerSecond() {
        long start = Long.MIN_VALUE, end = Long.MIN_VALUE;
        for (int s = 0; s < counts.length; s++) {
            if (counts[s] == 0) {
                throw new IllegalStateException("sequence " + s + " produced no token");
            }
            start = Math.max(start, arrivals.get(s)[0]);
            end = Math.max(end, arrivals.get(s)[counts[s] - 1]);
        }
        long tokens = 0;
        for (int s = 0; s < counts.length; s++) {
            for (int i = 0; i < counts[s]; i++) {
                tokens += arrivals.get(s)[i] > start ? 1 : 0;
            }
        }
        return end == start ? 0 : tokens / ((end - start) / 1e9);
    }
}

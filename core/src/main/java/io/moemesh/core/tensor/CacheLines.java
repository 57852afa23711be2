package io.moemesh.core.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Asks memory for a run of cache lines all at once, just before a kernel reads them. A core asks for the lines of
 * the loads in its reorder window only (~450 operations), and a kernel that spends a dozen or more operations on
 * each line it decodes keeps few in flight, each waiting ~100 ns; the hardware's prefetcher does not run ahead of
 * these short streams (a block is one or two 4 KB pages). One load per line costs a few operations a line, so the
 * whole block's lines are on their way together, and the kernel then finds them arriving instead of asking one
 * window at a time. Java has no prefetch instruction; a load does the same here at the price of waiting for it.
 */
final class CacheLines {
    private static final int LINE = 64;

    private CacheLines() {
    }

    /** Loads one byte of each 64-byte line of {@code segment[from, from + bytes)}. */
    static void request(MemorySegment segment, long from, long bytes) {
        int sum = 0;
        for (long at = from, end = from + bytes; at < end; at += LINE) {
            sum += segment.get(ValueLayout.JAVA_BYTE, at);
        }
        // Never true (|sum| ≤ 128 per line): the test keeps the loads, which would otherwise compute nothing used.
        if (sum == Integer.MAX_VALUE) {
            throw new AssertionError(sum);
        }
    }
}

package io.moemesh.core.nn;

import java.util.ArrayDeque;

/**
 * The pages of the KV caches in one JVM ({@link KvCache}), recycled: a cache hands its pages back when its sequence
 * ends, and the next cache to cross a page boundary takes one of them instead of a new array. A new page was what a
 * decode step allocated (90% of it, in a profile of {@code bench decode}): at Qwen3-30B-A3B's shape 128 KB of keys
 * and 128 KB of values per layer every {@link KvCache#PAGE} tokens, 12 MB per 64 tokens of a sequence over 48 layers.
 * Once a server has held as many pages at once as its load needs, decoding allocates none.
 *
 * <p>Pages are handed out as they were left, not zeroed: a cache reads only positions it has written. Free pages
 * beyond {@code maxFreeBytes} go to the garbage collector, so that a burst of long sequences does not keep the heap
 * it needed.
 */
public final class KvPages {
    private final int kvDim;
    private final int maxFree;
    /** Guarded by itself: a page is taken or given once per {@link KvCache#PAGE} tokens of a sequence and layer. */
    private final ArrayDeque<float[]> free = new ArrayDeque<>();
    private long created;
    private long used;

    /**
     * @param kvDim        floats of one position's key (and of its value)
     * @param maxFreeBytes most bytes of free pages kept for reuse (0: none, every page is new)
     */
    public KvPages(int kvDim, long maxFreeBytes) {
        this.kvDim = kvDim;
        this.maxFree = (int) Math.min(Integer.MAX_VALUE, maxFreeBytes / pageBytes(kvDim));
    }

    /** Pages kept for reuse by default: an eighth of the heap's limit. */
    public static KvPages withDefaultLimit(int kvDim) {
        return new KvPages(kvDim, Runtime.getRuntime().maxMemory() / 8);
    }

    public int kvDim() {
        return kvDim;
    }

    /** A page of {@link KvCache#PAGE} positions: a free one if any, else a new one. */
    float[] take() {
        synchronized (free) {
            used++;
            float[] page = free.pollLast();
            if (page != null) {
                return page;
            }
            created++;
        }
        return new float[KvCache.PAGE * kvDim];
    }

    /** Hands a page back; its owner no longer reads or writes it. */
    void give(float[] page) {
        synchronized (free) {
            used--;
            if (free.size() < maxFree) {
                free.addLast(page);
            }
        }
    }

    /** Pages waiting for reuse. */
    public int freePages() {
        synchronized (free) {
            return free.size();
        }
    }

    /** Pages allocated so far (a reused page is counted once). */
    public long createdPages() {
        synchronized (free) {
            return created;
        }
    }

    /** Bytes of the pages that caches hold now: keys and values of the sequences in progress. */
    public long usedBytes() {
        synchronized (free) {
            return used * pageBytes(kvDim);
        }
    }

    /** Bytes of the pages waiting for reuse. */
    public long freeBytes() {
        return freePages() * pageBytes(kvDim);
    }

    static long pageBytes(int kvDim) {
        return 4L * KvCache.PAGE * kvDim;
    }
}

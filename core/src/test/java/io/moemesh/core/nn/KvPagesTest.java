package io.moemesh.core.nn;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

/** Pages given back are taken again, up to the limit on free bytes; the counts say where every page is. */
class KvPagesTest {
    private static final int KV_DIM = 8;
    private static final long PAGE_BYTES = 4L * KvCache.PAGE * KV_DIM;

    @Test
    void aGivenPageIsTakenAgainAndTheCountsFollow() {
        KvPages pages = new KvPages(KV_DIM, 10 * PAGE_BYTES);
        float[] a = pages.take(), b = pages.take();
        assertEquals(KvCache.PAGE * KV_DIM, a.length);
        assertNotSame(a, b);
        assertEquals(2 * PAGE_BYTES, pages.usedBytes());
        pages.give(a);
        assertEquals(PAGE_BYTES, pages.usedBytes());
        assertEquals(PAGE_BYTES, pages.freeBytes());
        assertSame(a, pages.take());
        assertEquals(2, pages.createdPages());
        assertEquals(0, pages.freePages());
    }

    @Test
    void freePagesBeyondTheLimitGoToTheCollector() {
        KvPages pages = new KvPages(KV_DIM, PAGE_BYTES + PAGE_BYTES / 2);   // room for one page
        float[] a = pages.take(), b = pages.take();
        pages.give(a);
        pages.give(b);
        assertEquals(1, pages.freePages());
        assertEquals(0, pages.usedBytes());
        pages.take();
        pages.take();
        assertEquals(3, pages.createdPages(), "one page was kept, the other dropped");

        KvPages none = new KvPages(KV_DIM, 0);
        float[] c = none.take();
        none.give(c);
        assertNotSame(c, none.take());
        assertEquals(0, none.freePages());
    }
}

package io.moemesh.core.kernel;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The hand-written worker pool: every index exactly once, from any number of callers, failures reported; for loops
 * of equal-cost indices ({@code equal}: {@link Parallel#forEqualRange}) as for the others.
 */
class ParallelTest {
    private static void loop(boolean equal, int n, Parallel.Range body) {
        if (equal) {
            Parallel.forEqualRange(n, body);
        } else {
            Parallel.forRange(n, body);
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void everyIndexRunsExactlyOnceInEveryLoop(boolean equal) {
        for (int n = 0; n < 300; n++) {
            AtomicIntegerArray seen = new AtomicIntegerArray(Math.max(n, 1));
            int size = n;
            loop(equal, n, (from, to) -> {
                assertTrue(0 <= from && from <= to && to <= size);
                for (int i = from; i < to; i++) {
                    seen.incrementAndGet(i);
                }
            });
            for (int i = 0; i < n; i++) {
                assertEquals(1, seen.get(i), "n " + n + " index " + i);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void concurrentCallersEachGetTheirWholeLoop(boolean equal) throws Exception {
        List<Thread> callers = new ArrayList<>();
        List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
        for (int c = 0; c < 4; c++) {
            int caller = c;
            callers.add(Thread.ofPlatform().start(() -> {
                try {
                    for (int round = 0; round < 2000; round++) {
                        int n = 1 + (round * 7 + caller) % 97;
                        AtomicLong sum = new AtomicLong();
                        loop(equal || round % 2 == 0, n, (from, to) -> {
                            for (int i = from; i < to; i++) {
                                sum.addAndGet(i);
                            }
                        });
                        assertEquals((long) n * (n - 1) / 2, sum.get(), "caller " + caller + " round " + round);
                    }
                } catch (Throwable t) {
                    failures.add(t);
                }
            }));
        }
        for (Thread t : callers) {
            t.join(60_000);
        }
        assertEquals(List.of(), failures);
    }

    /**
     * With a grain (the row groups of a q4 matrix), every chunk starts on a multiple of it and ends on one or at n,
     * every index still runs once, and a loop of several grains is still split between threads.
     */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void chunksStartAndEndOnMultiplesOfTheGrain(boolean equal) {
        for (int grain : new int[]{1, 7, 128}) {
            for (int n : new int[]{0, 1, 6, 7, 8, 127, 128, 129, 300, 768, 1000, 6144}) {
                AtomicIntegerArray seen = new AtomicIntegerArray(Math.max(n, 1));
                AtomicLong chunks = new AtomicLong();
                int size = n, g = grain;
                Parallel.Range body = (from, to) -> {
                    assertEquals(0, from % g, "from " + from);
                    assertTrue(to == size || to % g == 0, "to " + to);
                    chunks.incrementAndGet();
                    for (int i = from; i < to; i++) {
                        seen.incrementAndGet(i);
                    }
                };
                if (equal) {
                    Parallel.forEqualRange(n, grain, body);
                } else {
                    Parallel.forRange(n, grain, body);
                }
                for (int i = 0; i < n; i++) {
                    assertEquals(1, seen.get(i), "grain " + grain + " n " + n + " index " + i);
                }
                if (Parallel.threads() > 1 && n >= 2 * grain) {
                    assertTrue(chunks.get() >= 2, "grain " + grain + " n " + n + ": one chunk");
                }
            }
        }
        assertThrows(IllegalArgumentException.class, () -> Parallel.forRange(10, 0, (from, to) -> { }));
    }

    @Test
    void aFailingBodyFailsItsLoopAndTheNextLoopRuns() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Parallel.forRange(64, (from, to) -> {
            if (from == 0) {
                throw new IllegalStateException("chunk 0 broke");
            }
        }));
        assertEquals("chunk 0 broke", e.getMessage());
        AtomicLong count = new AtomicLong();
        Parallel.forRange(64, (from, to) -> count.addAndGet(to - from));
        assertEquals(64, count.get());
    }

    @Test
    void aLoopInsideALoopRunsInline() {
        AtomicLong inner = new AtomicLong();
        Parallel.forRange(8, (from, to) -> {
            for (int i = from; i < to; i++) {
                Parallel.forRange(10, (a, b) -> inner.addAndGet(b - a));
            }
        });
        assertEquals(80, inner.get());
    }

    /** A thread held up in its share does not hold up the loop: the others take what is left of that share. */
    @Test
    void anEqualLoopsSlowShareIsTakenOverByTheOtherThreads() {
        org.junit.jupiter.api.Assumptions.assumeTrue(Parallel.threads() >= 2, "needs a worker thread");
        int n = 64 * Parallel.threads();
        Thread[] ranBy = new Thread[n];
        Parallel.forEqualRange(n, (from, to) -> {
            if (from == 0) {
                // share 0's first chunk (the caller's own, unless a worker got there first): while this sleeps,
                // the other thread finishes its share and takes the rest of this one
                try {
                    Thread.sleep(300);
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            }
            for (int i = from; i < to; i++) {
                ranBy[i] = Thread.currentThread();
            }
        });
        int share = n / Parallel.threads();
        assertNotSame(ranBy[0], ranBy[share - 1], "the rest of the held-up thread's share went to another");
    }
}

package io.moemesh.core.kernel;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.*;

/** The hand-written worker pool: every index exactly once, from any number of callers, failures reported. */
class ParallelTest {
    @Test
    void everyIndexRunsExactlyOnceInEveryLoop() {
        for (int n = 0; n < 300; n++) {
            AtomicIntegerArray seen = new AtomicIntegerArray(Math.max(n, 1));
            int size = n;
            Parallel.forRange(n, (from, to) -> {
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

    @Test
    void concurrentCallersEachGetTheirWholeLoop() throws Exception {
        List<Thread> callers = new ArrayList<>();
        List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
        for (int c = 0; c < 4; c++) {
            int caller = c;
            callers.add(Thread.ofPlatform().start(() -> {
                try {
                    for (int round = 0; round < 2000; round++) {
                        int n = 1 + (round * 7 + caller) % 97;
                        AtomicLong sum = new AtomicLong();
                        Parallel.forRange(n, (from, to) -> {
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
}

package io.moemesh.core.kernel;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;

/**
 * The engine's worker threads: one fixed pool sized to the cores (or {@code moemesh.threads}), shared by all
 * kernels. The common pool is avoided on purpose: on a 2-core machine it has a single worker.
 */
public final class Parallel {
    private static final int THREADS = Integer.getInteger("moemesh.threads", Runtime.getRuntime().availableProcessors());
    private static final ForkJoinPool POOL = new ForkJoinPool(Math.max(1, THREADS));

    @FunctionalInterface
    public interface Range {
        void run(int from, int to);
    }

    private Parallel() {
    }

    public static int threads() {
        return THREADS;
    }

    /** Runs {@code body} over [0, n) split in about {@code 4 × threads} chunks; returns when all are done. */
    public static void forRange(int n, Range body) {
        if (THREADS <= 1 || n < 2) {
            body.run(0, n);
            return;
        }
        int chunks = Math.min(n, THREADS * 4);
        if (ForkJoinTask.inForkJoinPool()) {
            // Already on a worker: nested parallelism would only add queueing.
            body.run(0, n);
            return;
        }
        List<ForkJoinTask<?>> tasks = new ArrayList<>(chunks);
        for (int i = 0; i < chunks; i++) {
            int from = (int) ((long) n * i / chunks);
            int to = (int) ((long) n * (i + 1) / chunks);
            tasks.add(POOL.submit(() -> body.run(from, to)));
        }
        for (ForkJoinTask<?> t : tasks) {
            t.join();
        }
    }
}

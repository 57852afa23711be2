package io.moemesh.core.kernel;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The engine's worker threads: one fixed set sized to the cores (or {@code moemesh.threads}), shared by all kernels,
 * the calling thread working alongside them. Written by hand rather than on a ForkJoinPool because a decode step
 * forks a dozen times per layer: this allocates nothing per fork (no task objects, no lists), and wakes parked
 * workers directly. One parallel loop runs at a time; callers from other threads wait their turn (the kernels
 * are bound by the same cores and memory anyway), and a loop started from inside a worker runs inline.
 */
public final class Parallel {
    private static final int THREADS = Math.max(1,
            Integer.getInteger("moemesh.threads", Runtime.getRuntime().availableProcessors()));

    @FunctionalInterface
    public interface Range {
        void run(int from, int to);
    }

    /**
     * The loop being run. Chunks are claimed through {@code ticket} = (generation << 32 | next chunk), so a worker
     * that wakes late can never take a chunk of a newer loop with the fields of an older one: the caller closes the
     * ticket while it rewrites the fields, and a claim only succeeds against the generation it read them under.
     */
    private static final class Job {
        volatile Range body;
        volatile int n;
        volatile int chunks;
        final AtomicLong ticket = new AtomicLong(CLOSED);
        final AtomicInteger unfinished = new AtomicInteger();
        volatile Throwable failure;
        volatile Thread caller;
    }

    /**
     * How long a worker polls for the next loop before it parks, and a caller for its loop's last chunks
     * ({@code moemesh.spinMicros}, default 100). A decode step's loops come microseconds apart, and waking a parked
     * thread takes tens of them on a VM: without polling, a 2-thread loop over 23 µs of work took 32 µs, slower
     * than one thread (measured). Idle threads park after that long, so an idle engine burns no CPU.
     */
    private static final long SPIN_NANOS = 1000L * Integer.getInteger("moemesh.spinMicros", 100);

    private static final long INDEX = 0xFFFF_FFFFL;
    private static final long CLOSED = INDEX;

    private static final Job JOB = new Job();
    private static final Object TURN = new Object();
    private static final Thread[] WORKERS = new Thread[THREADS - 1];
    private static long generation;
    private static final ThreadLocal<Boolean> IN_LOOP = ThreadLocal.withInitial(() -> false);

    static {
        for (int i = 0; i < WORKERS.length; i++) {
            WORKERS[i] = Thread.ofPlatform().name("moemesh-kernel-" + (i + 1)).daemon().start(Parallel::workerLoop);
        }
    }

    private Parallel() {
    }

    public static int threads() {
        return THREADS;
    }

    /** Runs {@code body} over [0, n) split in about {@code 4 × threads} chunks; returns when all are done. */
    public static void forRange(int n, Range body) {
        if (THREADS <= 1 || n < 2 || IN_LOOP.get()) {
            body.run(0, n);
            return;
        }
        synchronized (TURN) {
            Job job = JOB;
            long gen = ++generation;
            int chunks = Math.min(n, THREADS * 4);
            job.ticket.set(gen << 32 | CLOSED);
            job.body = body;
            job.n = n;
            job.chunks = chunks;
            job.failure = null;
            job.caller = Thread.currentThread();
            job.unfinished.set(chunks);
            job.ticket.set(gen << 32);
            for (Thread worker : WORKERS) {
                LockSupport.unpark(worker);
            }
            IN_LOOP.set(true);
            try {
                runChunks(job);
            } finally {
                IN_LOOP.set(false);
            }
            long deadline = System.nanoTime() + SPIN_NANOS;
            while (job.unfinished.get() > 0) {
                if (System.nanoTime() < deadline) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.park(job);
                }
            }
            job.body = null;
            Throwable failure = job.failure;
            if (failure instanceof RuntimeException e) {
                throw e;
            }
            if (failure instanceof Error e) {
                throw e;
            }
        }
    }

    private static void runChunks(Job job) {
        while (true) {
            long t1 = job.ticket.get();
            if ((t1 & INDEX) == CLOSED) {
                return;
            }
            Range body = job.body;
            int n = job.n, chunks = job.chunks;
            long t2 = job.ticket.get();
            if (t2 >>> 32 != t1 >>> 32) {
                continue;   // a newer loop began while reading its fields: read again
            }
            int i = (int) (t2 & INDEX);
            if ((t2 & INDEX) >= chunks) {
                return;
            }
            if (!job.ticket.compareAndSet(t2, t2 + 1)) {
                continue;
            }
            try {
                if (job.failure == null) {
                    body.run((int) ((long) n * i / chunks), (int) ((long) n * (i + 1) / chunks));
                }
            } catch (Throwable t) {
                job.failure = t;
            } finally {
                if (job.unfinished.decrementAndGet() == 0) {
                    LockSupport.unpark(job.caller);
                }
            }
        }
    }

    private static void workerLoop() {
        IN_LOOP.set(true);
        long served = 0;
        while (true) {
            long t = JOB.ticket.get();
            long gen = t >>> 32;
            if (gen == served || (t & INDEX) == CLOSED) {
                long deadline = System.nanoTime() + SPIN_NANOS;
                while (JOB.ticket.get() == t && System.nanoTime() < deadline) {
                    Thread.onSpinWait();
                }
                if (JOB.ticket.get() == t) {
                    LockSupport.park(JOB);
                }
                continue;
            }
            runChunks(JOB);
            served = gen;
        }
    }
}

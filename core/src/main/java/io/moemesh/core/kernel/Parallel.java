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
        /** Chunk boundaries are multiples of this (or n). */
        volatile int grain;
        volatile int chunks;
        /**
         * 0: chunks are claimed in order through the ticket. Otherwise {@link #forEqualRange}'s loop: thread t owns
         * chunks [t·perThread, (t + 1)·perThread), claimed through {@code shares[t]} = (generation << 32 | next of
         * them) by its owner first, then by any thread that has run out of its own.
         */
        volatile int perThread;
        final AtomicLong[] shares = new AtomicLong[THREADS];

        Job() {
            for (int t = 0; t < THREADS; t++) {
                shares[t] = new AtomicLong(CLOSED);
            }
        }
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

    /** Chunks a loop is cut into, per thread: what lets a thread that runs out help another. */
    private static final int CHUNKS_PER_THREAD = 4;
    /**
     * The same for {@link #forEqualRange}, whose work is even and needs less rebalancing. Each chunk is one call to
     * a kernel: a new stream for the prefetcher, and with fewer than two row groups, no two-group kernel (q4, int8
     * and bf16 at batch 1). bench kernels q4 batch 1, 30B expert, two threads, A/B three times: 4 chunks a thread
     * 34.9–36.4 GB/s, 2 chunks 39.2–40.4, 1 chunk 37.1–40.1; bf16 the same with all three (a 30B expert's 768
     * rows were six one-group chunks, now 1 + 2 groups per thread).
     */
    private static final int EQUAL_CHUNKS_PER_THREAD = 2;

    private static final long INDEX = 0xFFFF_FFFFL;
    private static final long CLOSED = INDEX;

    private static final Job JOB = new Job();
    private static final Object TURN = new Object();
    private static final Thread[] WORKERS = new Thread[THREADS - 1];
    private static long generation;
    private static final ThreadLocal<Boolean> IN_LOOP = ThreadLocal.withInitial(() -> false);

    static {
        for (int i = 0; i < WORKERS.length; i++) {
            int self = i + 1;
            WORKERS[i] = Thread.ofPlatform().name("moemesh-kernel-" + self).daemon().start(() -> workerLoop(self));
        }
    }

    private Parallel() {
    }

    public static int threads() {
        return THREADS;
    }

    /**
     * Runs {@code body} over [0, n) split in about {@code 4 × threads} chunks, each taken by whichever thread is
     * free: for indices that cost different amounts (prefill's experts with their different token counts, causal
     * attention). Returns when all are done.
     */
    public static void forRange(int n, Range body) {
        forRange(n, 1, false, body);
    }

    /** {@link #forRange} with every chunk boundary a multiple of {@code grain} (or n). */
    public static void forRange(int n, int grain, Range body) {
        forRange(n, grain, false, body);
    }

    /**
     * {@link #forRange} for indices that all cost the same (the rows of a matrix for the same tokens): each thread
     * owns a contiguous share and runs its two chunks in order, so that its weights are one ascending stream; a
     * thread done with its own takes the chunks left in the others' (a late or slowed thread is not waited for).
     * Chunks taken in order by whichever thread is free measured 20% slower for q4 at batch 1 on two threads (bench
     * kernels, A/B in one session; 16 chunks a thread: 30% slower again): each chunk starts a new stream that the
     * hardware prefetcher has to pick up again, a few microseconds of misses every time.
     */
    public static void forEqualRange(int n, Range body) {
        forRange(n, 1, true, body);
    }

    /**
     * {@link #forEqualRange} with every chunk boundary a multiple of {@code grain} (or n): the row groups of a
     * format whose kernel computes rows together ({@code Matrix.rowGrain}), so no thread computes a group that
     * another one also needs.
     */
    public static void forEqualRange(int n, int grain, Range body) {
        forRange(n, grain, true, body);
    }

    private static int units(int n, int grain) {
        return (n + grain - 1) / grain;
    }

    private static void forRange(int n, int grain, boolean shares, Range body) {
        if (grain < 1) {
            throw new IllegalArgumentException("grain " + grain);
        }
        if (THREADS <= 1 || units(n, grain) < 2 || IN_LOOP.get()) {
            body.run(0, n);
            return;
        }
        synchronized (TURN) {
            Job job = JOB;
            long gen = ++generation;
            int chunks = Math.min(units(n, grain), THREADS * (shares ? EQUAL_CHUNKS_PER_THREAD : CHUNKS_PER_THREAD));
            job.ticket.set(gen << 32 | CLOSED);
            job.body = body;
            job.n = n;
            job.grain = grain;
            job.chunks = chunks;
            job.failure = null;
            job.caller = Thread.currentThread();
            job.unfinished.set(chunks);
            job.perThread = shares && chunks % THREADS == 0 ? chunks / THREADS : 0;
            for (AtomicLong share : job.shares) {
                share.set(gen << 32);   // before the ticket opens: a thread that sees it open sees these
            }
            job.ticket.set(gen << 32);
            for (Thread worker : WORKERS) {
                LockSupport.unpark(worker);
            }
            IN_LOOP.set(true);
            try {
                runChunks(job, 0);
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

    /** The chunks this thread can take of the open loop; {@code self}: 0 for the caller, then the workers. */
    private static void runChunks(Job job, int self) {
        while (true) {
            long t1 = job.ticket.get();
            if ((t1 & INDEX) == CLOSED) {
                return;
            }
            Range body = job.body;
            int n = job.n, grain = job.grain, chunks = job.chunks, perThread = job.perThread;
            long t2 = job.ticket.get();
            if (t2 >>> 32 != t1 >>> 32) {
                continue;   // a newer loop began while reading its fields: read again
            }
            if (perThread > 0) {
                runShares(job, self, t2 >>> 32, body, n, grain, chunks, perThread);
                return;
            }
            int i = (int) (t2 & INDEX);
            if ((t2 & INDEX) >= chunks) {
                return;
            }
            if (!job.ticket.compareAndSet(t2, t2 + 1)) {
                continue;
            }
            runChunk(job, body, n, grain, chunks, i);
        }
    }

    /**
     * Own share first, then what is left of the others', each share's chunks in order. A claim succeeds only
     * against loop {@code gen}'s share: one left from an older loop, or already reset for a newer, is not taken.
     */
    private static void runShares(Job job, int self, long gen, Range body, int n, int grain, int chunks,
                                  int perThread) {
        for (int k = 0; k < THREADS; k++) {
            int owner = (self + k) % THREADS;
            AtomicLong share = job.shares[owner];
            while (true) {
                long v = share.get();
                if (v >>> 32 != gen || (v & INDEX) >= perThread) {
                    break;
                }
                if (share.compareAndSet(v, v + 1)) {
                    runChunk(job, body, n, grain, chunks, owner * perThread + (int) (v & INDEX));
                }
            }
        }
    }

    private static void runChunk(Job job, Range body, int n, int grain, int chunks, int i) {
        try {
            if (job.failure == null) {
                long units = units(n, grain);
                body.run((int) Math.min(n, grain * (units * i / chunks)), (int) Math.min(n, grain * (units * (i + 1) / chunks)));
            }
        } catch (Throwable t) {
            job.failure = t;
        } finally {
            if (job.unfinished.decrementAndGet() == 0) {
                LockSupport.unpark(job.caller);
            }
        }
    }

    private static void workerLoop(int self) {
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
            runChunks(JOB, self);
            served = gen;
        }
    }
}

package io.moemesh.cli;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The machine's read bandwidth as a kernel would see it: a plain SIMD sum of floats over a buffer much larger than
 * the caches, split over plain threads. Decoding reads each active weight once per token, so this is the ceiling
 * the matmul kernels' GB/s are compared against.
 */
final class ReadBandwidth implements AutoCloseable {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** Four accumulator chains, so the loop waits on loads, not on the adds. */
    private static final long UNROLL_BYTES = 4L * F.vectorByteSize();

    record Result(int threads, double medianGbps, double bestGbps) {
    }

    private final Arena arena = Arena.ofShared();
    private final MemorySegment buffer;
    /** Keeps the sums observable so the JIT cannot drop the loop. */
    private volatile double sink;

    ReadBandwidth(long bytes) {
        buffer = arena.allocate(bytes / UNROLL_BYTES * UNROLL_BYTES, 64);
        // Writing every page makes the kernel back it with real memory (untouched pages all read the one zero page).
        buffer.fill((byte) 1);
    }

    long bytes() {
        return buffer.byteSize();
    }

    /** One warm-up sweep, then {@code sweeps} timed ones. */
    Result measure(int threads, int sweeps) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            sweep(pool, threads);
            long[] nanos = new long[sweeps];
            for (int i = 0; i < sweeps; i++) {
                long t0 = System.nanoTime();
                sweep(pool, threads);
                nanos[i] = System.nanoTime() - t0;
            }
            Arrays.sort(nanos);
            return new Result(threads, buffer.byteSize() / (double) nanos[sweeps / 2], buffer.byteSize() / (double) nanos[0]);
        } finally {
            pool.shutdownNow();
        }
    }

    private void sweep(ExecutorService pool, int threads) throws Exception {
        long units = buffer.byteSize() / UNROLL_BYTES;
        List<Future<Float>> parts = new ArrayList<>(threads);
        for (int t = 0; t < threads; t++) {
            long from = units * t / threads * UNROLL_BYTES, to = units * (t + 1) / threads * UNROLL_BYTES;
            parts.add(pool.submit(() -> sum(buffer, from, to)));
        }
        double total = 0;
        for (Future<Float> f : parts) {
            total += f.get();
        }
        sink = total;
    }

    private static float sum(MemorySegment s, long from, long to) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        long step = F.vectorByteSize();
        for (long at = from; at < to; at += UNROLL_BYTES) {
            a0 = a0.add(FloatVector.fromMemorySegment(F, s, at, ByteOrder.LITTLE_ENDIAN));
            a1 = a1.add(FloatVector.fromMemorySegment(F, s, at + step, ByteOrder.LITTLE_ENDIAN));
            a2 = a2.add(FloatVector.fromMemorySegment(F, s, at + 2 * step, ByteOrder.LITTLE_ENDIAN));
            a3 = a3.add(FloatVector.fromMemorySegment(F, s, at + 3 * step, ByteOrder.LITTLE_ENDIAN));
        }
        return a0.add(a1).add(a2.add(a3)).reduceLanes(VectorOperators.ADD);
    }

    @Override
    public void close() {
        arena.close();
    }
}

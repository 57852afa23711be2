package io.moemesh.cli;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The machine's multiply-add ceiling as a kernel would see it: SIMD fused multiply-adds on registers alone, in more
 * independent chains than the cores' FMA units have latency to hide, on plain threads. What {@link ReadBandwidth} is
 * to batch 1 this is to large batches: a batched kernel's GFLOP/s can at best reach it, so a batch-32 kernel can at
 * best be (this ÷ its batch-1 GFLOP/s) times faster than batch 1 (the matmul kernels' own loop, on a block already in
 * L1, measured ~93% of it).
 */
final class FmaPeak {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** Chains in flight: a multiply-add's latency (4 cycles here) times the two units, with room to spare. */
    private static final int CHAINS = 12;
    /** Multiply-adds per chain between clock readings. */
    private static final int ROUND = 1 << 12;

    private FmaPeak() {
    }

    /** Median and best GFLOP/s (2 per lane per multiply-add) of {@code repeats} runs of ~{@code seconds} each. */
    static double[] measure(int threads, double seconds, int repeats) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            double warm = warmUp(pool, threads, seconds / 20);
            double[] gflops = new double[repeats];
            for (int attempt = 0; ; attempt++) {
                for (int i = 0; i < repeats; i++) {
                    gflops[i] = run(pool, threads, seconds);
                }
                Arrays.sort(gflops);
                if (gflops[repeats / 2] >= warm / 2 || attempt == 2) {
                    return new double[]{gflops[repeats / 2], gflops[repeats - 1]};
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /** Warm-up rounds, at least this many. */
    private static final int MIN_WARM_UP_ROUNDS = 10;
    /** Rounds in a row within 10% of the best so far that end the warm-up. */
    private static final int STEADY_ROUNDS = 3;

    /**
     * Short rounds until the rate has stopped rising (at least {@link #MIN_WARM_UP_ROUNDS}, then until
     * {@link #STEADY_ROUNDS} in a row come within 10% of the best, at most 40 times the minimum); returns the best.
     * {@link #measure} runs again if its median falls below half of it: a run once read 0.12 against 263 GFLOP/s in
     * all five measured runs after ten warm-up rounds (a /peak column of 400–900), chains() not compiled yet on a busy
     * machine or its vCPU taken away, and 263–264 in the same command run again.
     */
    private static double warmUp(ExecutorService pool, int threads, double roundSeconds) throws Exception {
        double best = 0;
        int steady = 0;
        for (int round = 0; round < 40 * MIN_WARM_UP_ROUNDS; round++) {
            double rate = run(pool, threads, roundSeconds);
            steady = rate >= 0.9 * best ? steady + 1 : 0;
            best = Math.max(best, rate);
            if (round + 1 >= MIN_WARM_UP_ROUNDS && steady >= STEADY_ROUNDS) {
                break;
            }
        }
        return best;
    }

    /** All threads at once for ~{@code seconds}: the sum of their rates. */
    private static double run(ExecutorService pool, int threads, double seconds) throws Exception {
        long nanos = (long) (seconds * 1e9);
        List<Future<double[]>> parts = new ArrayList<>(threads);
        for (int t = 0; t < threads; t++) {
            float seed = 1 + t;
            parts.add(pool.submit(() -> chains(seed, nanos)));
        }
        double total = 0, sink = 0;
        for (Future<double[]> f : parts) {
            double[] r = f.get();
            total += r[0];
            sink += r[1];
        }
        if (sink == Double.MIN_VALUE) {   // never: keeps the sums observable so the JIT cannot drop the loop
            throw new AssertionError(sink);
        }
        return total;
    }

    /**
     * {GFLOP/s, a sum of the chains}: acc ← b · m + acc with b a value broadcast from memory, the matmul kernels'
     * own multiply-add (a value vector times a broadcast input). The form matters on these Zen 5 cores: with all
     * three operands in registers the same chains ran at half the rate (130 against 265 GFLOP/s at one thread).
     */
    private static double[] chains(float seed, long nanos) {
        float[] inputs = new float[64];
        Arrays.fill(inputs, 0x1p-20f);   // products of 2^-40: the sums stay near their start, far from subnormal
        // from the array: with m a constant the chains measured 246 against 260 GFLOP/s at one thread
        FloatVector m = FloatVector.fromArray(F, inputs, 0);
        FloatVector c0 = FloatVector.broadcast(F, seed), c1 = c0.add(1), c2 = c0.add(2), c3 = c0.add(3);
        FloatVector c4 = c0.add(4), c5 = c0.add(5), c6 = c0.add(6), c7 = c0.add(7);
        FloatVector c8 = c0.add(8), c9 = c0.add(9), c10 = c0.add(10), c11 = c0.add(11);
        long fmas = 0, start = System.nanoTime(), now;
        do {
            for (int i = 0; i < ROUND; i++) {
                FloatVector b = FloatVector.broadcast(F, inputs[i & 63]);
                c0 = b.fma(m, c0);
                c1 = b.fma(m, c1);
                c2 = b.fma(m, c2);
                c3 = b.fma(m, c3);
                c4 = b.fma(m, c4);
                c5 = b.fma(m, c5);
                c6 = b.fma(m, c6);
                c7 = b.fma(m, c7);
                c8 = b.fma(m, c8);
                c9 = b.fma(m, c9);
                c10 = b.fma(m, c10);
                c11 = b.fma(m, c11);
            }
            fmas += (long) CHAINS * ROUND;
            now = System.nanoTime();
        } while (now - start < nanos);
        FloatVector sum = c0.add(c1).add(c2).add(c3).add(c4).add(c5).add(c6).add(c7).add(c8).add(c9).add(c10).add(c11);
        return new double[]{2.0 * F.length() * fmas / (now - start), sum.reduceLanes(VectorOperators.ADD)};
    }
}

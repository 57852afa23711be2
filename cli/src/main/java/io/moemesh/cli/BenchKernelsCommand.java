package io.moemesh.cli;

import io.moemesh.core.embedded.SyntheticGguf;
import io.moemesh.core.kernel.MatMul;
import io.moemesh.core.kernel.Parallel;
import io.moemesh.core.kernel.StackedRows;
import io.moemesh.core.nn.SwiGluMlp;
import io.moemesh.core.tensor.Bf16Matrix;
import io.moemesh.core.tensor.Bf16PanelMatrix;
import io.moemesh.core.tensor.BlockOffsetMatrix;
import io.moemesh.core.tensor.F32Matrix;
import io.moemesh.core.tensor.Fp8BlockMatrix;
import io.moemesh.core.tensor.Fp8PanelMatrix;
import io.moemesh.core.tensor.GgmlKQuantMatrix;
import io.moemesh.core.tensor.Int8Matrix;
import io.moemesh.core.tensor.Matrix;
import io.moemesh.core.tensor.Q4A8Matrix;
import io.moemesh.core.tensor.Q4Matrix;
import io.moemesh.core.tensor.Q6Matrix;
import io.moemesh.core.tensor.WeightFormat;
import io.moemesh.core.weights.DType;
import io.moemesh.core.weights.Numerics;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

/**
 * The matmul kernels on the real shapes, in every weight format, at several batch sizes, next to the machine's read
 * bandwidth measured in the same JVM. At batch 1 decoding is a stream over the weights, so GB/s against the read
 * bandwidth says how close a kernel is to the limit; at large batches it is compute, so GFLOP/s is the number.
 */
@Command(name = "kernels", mixinStandardHelpOptions = true,
        description = "Matmul kernels (MatMul.vector()) on synthetic random weights of the real shapes, per weight "
                + "format and batch size: GB/s of weights read and GFLOP/s, next to the read bandwidth of a plain SIMD "
                + "sum over a buffer much larger than the caches, measured in the same run. A pass runs one expert's "
                + "FFN as the engine does (gate and up in one parallel pass, SiLU·up, then down), or attention's "
                + "projections (q, k and v in one pass, then o); --unfused times each matrix alone instead. Passes "
                + "cycle through copies of the weights (--working-set-mb in all) so that each reads memory, not "
                + "cache. Prints the median and the best pass after a warm-up.")
final class BenchKernelsCommand implements Callable<Integer> {
    record Projection(String name, int rows, int cols) {
    }

    record Shape(String name, List<Projection> projections) {
        long weights() {
            return projections.stream().mapToLong(p -> (long) p.rows() * p.cols()).sum();
        }
    }

    static final List<Shape> SHAPES = List.of(
            new Shape("30b-expert", List.of(new Projection("gate", 768, 2048), new Projection("up", 768, 2048),
                    new Projection("down", 2048, 768))),
            new Shape("235b-expert", List.of(new Projection("gate", 1536, 4096), new Projection("up", 1536, 4096),
                    new Projection("down", 4096, 1536))),
            new Shape("30b-attention", List.of(new Projection("q", 4096, 2048), new Projection("k", 512, 2048),
                    new Projection("v", 512, 2048), new Projection("o", 2048, 4096))),
            new Shape("235b-attention", List.of(new Projection("q", 8192, 4096), new Projection("k", 512, 4096),
                    new Projection("v", 512, 4096), new Projection("o", 4096, 8192))));

    static final List<String> FORMATS = List.of("bf16", "stored", "int8", "q4", "q4a8", "f32", "q4_K", "q5_K", "q6_K",
            "q4_K/auto", "q5_K/auto", "q6_K/auto", "fp8", "fp8/auto");

    @Option(names = "--formats", split = ",", defaultValue = "bf16,int8,q4,q4a8,f32", paramLabel = "F[,F...]",
            description = "Weight formats: bf16 (in row panels, as --weights bf16), stored (bf16 row by row, as Qwen stores "
                    + "them), int8, q4, q4a8 (q4 weights, inputs quantized to int8, 16-bit integer sums), f32, or a "
                    + "GGUF K-quant as stored in the file: q4_K, q5_K, q6_K (random "
                    + "super-blocks: the Q4_K_M files are mostly q4_K, some q6_K), or as --weights auto loads it: "
                    + "q4_K/auto (q4 panels with a minimum per block), q5_K/auto (int8 panels with one), q6_K/auto "
                    + "(q6 panels); fp8 (e4m3 with a scale per 128x128 block, as Qwen3-*-FP8 store them: random bytes, "
                    + "row by row as --weights stored runs them) or fp8/auto (fp8 panels) (default ${DEFAULT-VALUE}).")
    List<String> formats;

    @Option(names = "--shapes", split = ",", defaultValue = "30b-expert,235b-expert,30b-attention,235b-attention",
            paramLabel = "S[,S...]", description = "Shapes (default ${DEFAULT-VALUE}): one expert of Qwen3-30B-A3B "
            + "(gate/up 768x2048, down 2048x768) or of Qwen3-235B-A22B (1536x4096, 4096x1536), or the attention "
            + "projections of either (q, k, v, o).")
    List<String> shapes;

    @Option(names = "--batches", split = ",", defaultValue = "1,8,32,128", paramLabel = "B[,B...]",
            description = "Token rows per matmul (default ${DEFAULT-VALUE}).")
    List<Integer> batches;

    @Option(names = "--threads", split = ",", paramLabel = "N[,N...]",
            description = "Engine threads (default 1 and every core); each count other than this JVM's runs in a child JVM.")
    List<Integer> threads;

    @Option(names = "--working-set-mb", paramLabel = "MB",
            description = "Weights cycled through per format and shape, in copies (default 256; 16 with --quick).")
    Integer workingSetMb;

    @Option(names = "--bandwidth-mb", paramLabel = "MB",
            description = "Buffer of the read-bandwidth sum (default 1024; 64 with --quick).")
    Integer bandwidthMb;

    @Option(names = "--seconds", paramLabel = "S",
            description = "Time measured per format, shape and batch, after half as much warm-up (default 1; 0.02 with --quick).")
    Double seconds;

    @Option(names = "--quick", description = "Small buffers and few repetitions: checks the command works, measures "
            + "little (the row-panel kernels are not compiled yet in that time and read as 10-100x slower than they are).")
    boolean quick;

    @Option(names = "--json", description = "One JSON object per line instead of the table.")
    boolean json;

    @Option(names = "--unfused", description = "Each matrix in its own matmul call (one fork per matrix) instead of as "
            + "the engine runs a shape: an expert's gate and up in one parallel pass, SiLU·up, then down; attention's "
            + "q, k and v in one pass, then o.")
    boolean unfused;

    private int workingSetMb() {
        return workingSetMb != null ? workingSetMb : quick ? 16 : 256;
    }

    private int bandwidthMb() {
        return bandwidthMb != null ? bandwidthMb : quick ? 64 : 1024;
    }

    private double seconds() {
        return seconds != null ? seconds : quick ? 0.02 : 1.0;
    }

    private int minReps() {
        return quick ? 2 : 5;
    }

    @Override
    public Integer call() throws Exception {
        List<String> formatNames = formats.stream().map(BenchKernelsCommand::formatName).toList();
        List<Shape> chosen = shapes.stream().map(BenchKernelsCommand::shape).toList();
        for (int b : batches) {
            if (b < 1) {
                throw new IllegalArgumentException("--batches must be at least 1, got " + b);
            }
        }
        List<Integer> threadCounts = threads != null ? threads : ThreadCounts.oneAndAll();
        List<Map<String, Object>> rows = ThreadCounts.run(threadCounts, () -> runHere(formatNames, chosen), t -> {
            List<String> args = new ArrayList<>(List.of("kernels", "--formats", String.join(",", formatNames),
                    "--shapes", String.join(",", shapes), "--batches", join(batches), "--threads", Integer.toString(t),
                    "--working-set-mb", Integer.toString(workingSetMb()), "--bandwidth-mb", Integer.toString(bandwidthMb()),
                    "--seconds", Double.toString(seconds()), "--json"));
            if (quick) {
                args.add("--quick");
            }
            if (unfused) {
                args.add("--unfused");
            }
            return args;
        });
        print(rows);
        return 0;
    }

    private static String join(List<Integer> values) {
        return values.stream().map(String::valueOf).collect(Collectors.joining(","));
    }

    static String formatName(String name) {
        return FORMATS.stream().filter(f -> f.equalsIgnoreCase(name.strip())).findFirst().orElseThrow(() ->
                new IllegalArgumentException("--formats: unknown format '" + name + "' (known: " + FORMATS + ")"));
    }

    static Shape shape(String name) {
        return SHAPES.stream().filter(s -> s.name().equals(name.strip())).findFirst().orElseThrow(() ->
                new IllegalArgumentException("--shapes: unknown shape '" + name + "' (known: "
                        + SHAPES.stream().map(Shape::name).toList() + ")"));
    }

    /**
     * Everything at this JVM's thread count: bandwidth first (alone in memory), then each shape and format, each row
     * between two more readings of the bandwidth. A row's {@code read_bw_gbps} is the mean of those two: on this
     * shared VM the two-thread bandwidth moved between ~40 and ~75 GB/s within one run (where the host put the two
     * vCPUs), so a reading from the start of the run could make a kernel look 1.7× faster than memory.
     */
    private List<Map<String, Object>> runHere(List<String> formatNames, List<Shape> chosen) throws Exception {
        int threads = Parallel.threads();
        List<Map<String, Object>> rows = new ArrayList<>();
        try (ReadBandwidth bw = new ReadBandwidth((long) bandwidthMb() << 20)) {
            for (int t : new java.util.TreeSet<>(List.of(1, threads, Runtime.getRuntime().availableProcessors()))) {
                ReadBandwidth.Result r = bw.measure(t, quick ? 2 : 5);
                Map<String, Object> j = new LinkedHashMap<>();
                j.put("bench", "read_bw");
                j.put("threads", t);
                j.put("run_threads", threads);
                j.put("gbps", ThreadCounts.round(r.medianGbps(), 2));
                j.put("gbps_best", ThreadCounts.round(r.bestGbps(), 2));
                j.put("buffer_mb", bw.bytes() >> 20);
                rows.add(j);
                progress(String.format("read bandwidth, %d thread(s): %.1f GB/s", t, r.medianGbps()));
            }
            double[] peak = FmaPeak.measure(threads, quick ? 0.01 : 0.2, quick ? 2 : 5);
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("bench", "fma_peak");
            j.put("threads", threads);
            j.put("gflops", ThreadCounts.round(peak[0], 4));
            j.put("gflops_best", ThreadCounts.round(peak[1], 4));
            rows.add(j);
            progress(String.format("multiply-add peak, %d thread(s): %.1f GFLOP/s", threads, peak[0]));
            prewarm(formatNames);
            measureShapes(formatNames, chosen, threads, bw, peak[0], rows);
        }
        return rows;
    }

    /** Sweeps of the bandwidth buffer for a reading beside a row: a warm-up and three, median. */
    private static final int ADJACENT_SWEEPS = 3;

    private void measureShapes(List<String> formatNames, List<Shape> chosen, int threads, ReadBandwidth bw,
                               double fmaPeak, List<Map<String, Object>> rows) throws Exception {
        double before = bw.measure(threads, ADJACENT_SWEEPS).medianGbps();
        for (Shape shape : chosen) {
            try (Arena shapeArena = Arena.ofShared()) {
                List<Bf16Matrix> base = randomBf16(shape, shapeArena);
                for (String format : formatNames) {
                    try (Arena arena = Arena.ofShared()) {
                        long t0 = System.nanoTime();
                        List<List<Matrix>> copies = copies(base, format, arena);
                        progress(String.format("%s %s: %d copies of %.1f MB ready in %.1f s", shape.name(), format,
                                copies.size(), bytes(copies.getFirst()) / 1e6, (System.nanoTime() - t0) / 1e9));
                        for (int batch : batches) {
                            Map<String, Object> row = measure(shape, format, batch, copies, threads);
                            double after = bw.measure(threads, ADJACENT_SWEEPS).medianGbps(), readBw = (before + after) / 2;
                            row.put("read_bw_gbps", ThreadCounts.round(readBw, 2));
                            row.put("gbps_over_read_bw", ThreadCounts.round(ThreadCounts.number(row, "gbps") / readBw, 5));
                            row.put("gflops_over_fma_peak", ThreadCounts.round(ThreadCounts.number(row, "gflops") / fmaPeak, 5));
                            rows.add(row);
                            before = after;
                        }
                    }
                }
            }
        }
    }

    /**
     * Runs every format's kernels briefly before measuring any. The JIT compiles the shared matmul loop for the
     * formats it has seen: measured first alone, bf16 got a loop specialised for it, and int8 then ran for seconds in
     * deoptimised code at a tenth of its speed. A server mixing formats sees them all in its first steps too.
     */
    private void prewarm(List<String> formats) {
        try (Arena arena = Arena.ofShared()) {
            Bf16Matrix small = randomBf16(new Shape("prewarm", List.of(new Projection("w", 256, 1024))), arena).getFirst();
            List<Matrix> matrices = new ArrayList<>();
            for (String format : formats) {
                matrices.add(inFormat(small, format, arena));
            }
            float[] x = new float[8 * small.cols()];
            float[] out = new float[8 * small.rows()];
            long end = System.nanoTime() + (quick ? 100_000_000L : 2_000_000_000L);
            while (System.nanoTime() < end) {
                for (Matrix m : matrices) {
                    MatMul.vector().apply(m, x, 1, out);
                    MatMul.vector().apply(m, x, 8, out);
                }
            }
        }
    }

    private static List<Bf16Matrix> randomBf16(Shape shape, Arena arena) {
        SplittableRandom random = new SplittableRandom(2048 + shape.name().hashCode());
        List<Bf16Matrix> out = new ArrayList<>();
        for (Projection p : shape.projections()) {
            long n = (long) p.rows() * p.cols();
            MemorySegment data = arena.allocate(n * 2, 64);
            for (long i = 0; i < n; i++) {
                data.setAtIndex(Numerics.I16, i, Numerics.floatToBf16((float) (random.nextGaussian() * 0.02)));
            }
            out.add(new Bf16Matrix(data, p.rows(), p.cols()));
        }
        return out;
    }

    /** The shape's matrices in {@code format}, converted once, then copied until they fill the working set. */
    private List<List<Matrix>> copies(List<Bf16Matrix> base, String format, Arena arena) {
        List<Matrix> first = new ArrayList<>();
        for (Bf16Matrix m : base) {
            first.add(inFormat(m, format, arena));
        }
        long perCopy = bytes(first);
        int count = (int) Math.max(1, ((long) workingSetMb() << 20) / perCopy + 1);
        List<List<Matrix>> copies = new ArrayList<>();
        copies.add(first);
        while (copies.size() < count) {
            copies.add(first.stream().map(m -> copy(m, arena)).toList());
        }
        return copies;
    }

    /**
     * A benchmark format: f32, a GGUF K-quant as {@code --weights stored} runs it (q4_K, q5_K, q6_K) or as
     * {@code --weights auto} loads it (q4_K/auto ...), or what {@code --weights} of that name loads (stored, bf16,
     * int8, q4, q4a8).
     */
    private static Matrix inFormat(Bf16Matrix m, String format, Arena arena) {
        return switch (format) {
            case "f32" -> toF32(m, arena);
            case "q4_K", "q5_K", "q6_K" -> randomKQuant(kQuant(format), m.rows(), m.cols(), arena);
            case "q4_K/auto", "q5_K/auto", "q6_K/auto" -> WeightFormat.AUTO.quantize(
                    randomKQuant(kQuant(format), m.rows(), m.cols(), arena), arena);
            case "fp8" -> randomFp8(m.rows(), m.cols(), arena);
            case "fp8/auto" -> WeightFormat.AUTO.quantize(randomFp8(m.rows(), m.cols(), arena), arena);
            default -> WeightFormat.of(format).quantize(m, arena);
        };
    }

    /** The GGUF type a K-quant benchmark format starts from: q4_K/auto → Q4_K. */
    private static DType kQuant(String format) {
        return DType.valueOf(format.replace("/auto", "").toUpperCase(java.util.Locale.ROOT));
    }

    /**
     * A K-quant matrix of random super-blocks ({@link SyntheticGguf#randomKQuantBlocks}). The kernels' speed depends
     * on the layout only; we have no K-quant quantizer (GGUF files come quantized).
     */
    private static Matrix randomKQuant(DType type, int rows, int cols, Arena arena) {
        long blocks = (long) rows * (cols / type.blockSize());
        byte[] bytes = SyntheticGguf.randomKQuantBlocks(type, blocks, new SplittableRandom(type.ordinal() * 31L + rows + cols), 0.02);
        MemorySegment data = arena.allocate(bytes.length, 64);
        MemorySegment.copy(bytes, 0, data, ValueLayout.JAVA_BYTE, 0, bytes.length);
        return GgmlKQuantMatrix.of(type, data, rows, cols);
    }

    /**
     * An FP8 matrix of random e4m3 bytes (no NaN) under a scale per 128 × 128 block, as Qwen's FP8 checkpoints hold
     * their weights: the kernels' speed depends on the layout only.
     */
    private static Fp8BlockMatrix randomFp8(int rows, int cols, Arena arena) {
        SplittableRandom random = new SplittableRandom(rows * 31L + cols);
        MemorySegment data = arena.allocate((long) rows * cols, 64);
        for (long i = 0; i < data.byteSize(); i++) {
            int b = random.nextInt(256);
            data.set(ValueLayout.JAVA_BYTE, i, (byte) ((b & 0x7F) == 0x7F ? b - 1 : b));
        }
        float[] scales = new float[((rows + 127) / 128) * ((cols + 127) / 128)];
        for (int i = 0; i < scales.length; i++) {
            scales[i] = (float) (1e-4 + random.nextDouble() * 1e-3);
        }
        return new Fp8BlockMatrix(data, rows, cols, scales, 128, 128);
    }

    private static long bytes(List<Matrix> set) {
        return set.stream().mapToLong(Matrix::bytes).sum();
    }

    private static F32Matrix toF32(Matrix m, Arena arena) {
        MemorySegment data = arena.allocate((long) m.rows() * m.cols() * 4, 64);
        float[] row = new float[m.cols()];
        for (int r = 0; r < m.rows(); r++) {
            m.row(r, row, 0);
            MemorySegment.copy(row, 0, data, Numerics.F32, (long) r * m.cols() * 4, m.cols());
        }
        return new F32Matrix(data, m.rows(), m.cols());
    }

    /** The same weights at new addresses: equal bytes read from memory again. */
    private static Matrix copy(Matrix m, Arena arena) {
        return switch (m) {
            case Bf16Matrix b -> new Bf16Matrix(dup(b.data(), arena), b.rows(), b.cols());
            case F32Matrix f -> new F32Matrix(dup(f.data(), arena), f.rows(), f.cols());
            case Bf16PanelMatrix p -> p.copy(arena);
            case Int8Matrix q -> q.copy(arena);
            case Q4Matrix q -> q.copy(arena);
            case Q4A8Matrix q -> q.copy(arena);
            case Q6Matrix q -> q.copy(arena);
            case Fp8PanelMatrix q -> q.copy(arena);
            case Fp8BlockMatrix f -> new Fp8BlockMatrix(dup(f.data(), arena), f.rows(), f.cols(), f.scales(), f.blockRows(),
                    f.blockCols());
            case GgmlKQuantMatrix k -> GgmlKQuantMatrix.of(k.type(), dup(k.data(), arena), k.rows(), k.cols());
            case BlockOffsetMatrix b -> new BlockOffsetMatrix(copy(b.levels(), arena), copy(b.offsets(), arena));
            default -> throw new IllegalStateException("no copy for " + m.format());
        };
    }

    private static MemorySegment dup(MemorySegment s, Arena arena) {
        return arena.allocate(s.byteSize(), 64).copyFrom(s);
    }

    private final java.util.Set<String> warmedFormats = new java.util.HashSet<>();

    /** One row: the median and best pass of a format, shape and batch (the caller adds the read bandwidth). */
    private Map<String, Object> measure(Shape shape, String format, int batch, List<List<Matrix>> copies, int threads) {
        int maxCols = shape.projections().stream().mapToInt(Projection::cols).max().orElseThrow();
        int maxRows = shape.projections().stream().mapToInt(Projection::rows).max().orElseThrow();
        SplittableRandom random = new SplittableRandom(batch);
        float[] x = new float[batch * maxCols];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextGaussian();
        }
        float[] out = new float[batch * maxRows];
        MatMul matMul = MatMul.vector();
        long measureNanos = (long) (seconds() * 1e9);
        int next = 0;
        // The first pass of a format also waits for the JIT to compile its kernels (on a busy 2-core machine that
        // can take longer than half a second; a kernel still interpreted boxes every vector and reads 10x slower).
        boolean firstOfFormat = warmedFormats.add(format);
        long warmupEnd = System.nanoTime() + measureNanos / 2 + (firstOfFormat && !quick ? 3_000_000_000L : 0);
        List<Runnable> passes = copies.stream().map(set -> pass(matMul, set, x, batch, out)).toList();
        do {
            passes.get(next++ % passes.size()).run();
        } while (System.nanoTime() < warmupEnd);
        long[] samples = new long[1024];
        int reps = 0;
        long start = System.nanoTime();
        while (reps < minReps() || (System.nanoTime() - start < measureNanos && reps < 100_000)) {
            long t0 = System.nanoTime();
            passes.get(next++ % passes.size()).run();
            long t = System.nanoTime() - t0;
            if (reps == samples.length) {
                samples = Arrays.copyOf(samples, reps * 2);
            }
            samples[reps++] = t;
        }
        long[] sorted = Arrays.copyOf(samples, reps);
        Arrays.sort(sorted);
        double median = sorted[reps / 2], min = sorted[0];
        double bytes = bytes(copies.getFirst()), flops = 2.0 * shape.weights() * batch;
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("bench", "kernel");
        j.put("format", format);
        j.put("shape", shape.name());
        j.put("batch", batch);
        j.put("threads", threads);
        j.put("pass", unfused ? "unfused" : "engine");
        j.put("gbps", ThreadCounts.round(bytes / median, 4));
        j.put("gbps_best", ThreadCounts.round(bytes / min, 4));
        j.put("gflops", ThreadCounts.round(flops / median, 4));
        j.put("gflops_best", ThreadCounts.round(flops / min, 4));
        j.put("pass_ms_median", ThreadCounts.round(median / 1e6, 4));
        j.put("pass_ms_min", ThreadCounts.round(min / 1e6, 4));
        j.put("passes", reps);
        j.put("weight_mb_per_pass", ThreadCounts.round(bytes / 1e6, 2));
        j.put("copies", copies.size());
        progress(String.format("%s %s batch %d, %d thread(s): %.1f GB/s, %.1f GFLOP/s", shape.name(), format, batch,
                threads, bytes / median, flops / median));
        return j;
    }

    /**
     * One pass over a copy's matrices, its buffers made beforehand. As the engine runs them, unless {@code --unfused}:
     * an expert's FFN through {@link SwiGluMlp#forwardAll} (gate and up in one parallel pass, SiLU·up, then down: two
     * forks), attention's projections as {@link io.moemesh.core.nn.Attention} does (q, k and v in one
     * {@link MatMul#applyAll}, then o). Unfused, each matrix is its own {@link MatMul#apply}: one fork per matrix.
     */
    private Runnable pass(MatMul matMul, List<Matrix> set, float[] x, int batch, float[] out) {
        if (unfused) {
            return () -> {
                for (Matrix m : set) {
                    matMul.apply(m, x, batch, out);
                }
            };
        }
        if (set.size() == 3) {   // gate, up, down
            SwiGluMlp[] expert = {new SwiGluMlp(set.get(0), set.get(1), set.get(2))};
            int[] first = {0}, rows = {batch};
            return () -> SwiGluMlp.forwardAll(expert, 1, first, rows, x, out, matMul);
        }
        Matrix[] qkv = {set.get(0), set.get(1), set.get(2)};   // then o
        StackedRows stacked = new StackedRows(qkv);
        float[][] outputs = {out, new float[batch * qkv[1].rows()], new float[batch * qkv[2].rows()]};
        return () -> {
            matMul.applyAll(qkv, stacked, x, batch, outputs);
            matMul.apply(set.get(3), x, batch, out);
        };
    }

    private void print(List<Map<String, Object>> rows) {
        if (json) {
            rows.forEach(r -> System.out.println(Json.line(r)));
            return;
        }
        System.out.println("read bandwidth at the start (plain SIMD sum over " + bandwidthMb() + " MB, median of sweeps; "
                + "each row's /read_bw uses readings taken beside it):");
        for (Map<String, Object> r : rows) {
            if (r.get("bench").equals("read_bw")) {
                System.out.printf("  %d thread(s): %6.1f GB/s (best %.1f)   [measured in the run at %s thread(s)]%n",
                        ((Number) r.get("threads")).intValue(), ThreadCounts.number(r, "gbps"), ThreadCounts.number(r, "gbps_best"),
                        r.get("run_threads"));
            }
        }
        System.out.println("multiply-add peak (SIMD fused multiply-adds on registers and a broadcast input, as the kernels'"
                + " inner loop, median of runs):");
        for (Map<String, Object> r : rows) {
            if (r.get("bench").equals("fma_peak")) {
                System.out.printf("  %d thread(s): %6.1f GFLOP/s (best %.1f)%n", ((Number) r.get("threads")).intValue(),
                        ThreadCounts.number(r, "gflops"), ThreadCounts.number(r, "gflops_best"));
            }
        }
        System.out.println();
        System.out.printf("%-15s %-9s %5s %7s %10s %10s %8s %8s %8s %8s %8s %8s %6s%n", "shape", "fmt", "batch", "threads",
                "pass ms", "min ms", "GB/s", "best", "read_bw", "/read_bw", "GFLOP/s", "best", "/peak");
        for (Map<String, Object> r : rows) {
            if (r.get("bench").equals("kernel")) {
                System.out.printf("%-15s %-9s %5s %7s %10.3f %10.3f %8.1f %8.1f %8.1f %8.2f %8.1f %8.1f %6.2f%n", r.get("shape"),
                        r.get("format"), r.get("batch"), r.get("threads"), ThreadCounts.number(r, "pass_ms_median"),
                        ThreadCounts.number(r, "pass_ms_min"), ThreadCounts.number(r, "gbps"), ThreadCounts.number(r, "gbps_best"),
                        ThreadCounts.number(r, "read_bw_gbps"), ThreadCounts.number(r, "gbps_over_read_bw"), ThreadCounts.number(r, "gflops"),
                        ThreadCounts.number(r, "gflops_best"), ThreadCounts.number(r, "gflops_over_fma_peak"));
            }
        }
        printBatchedOverBatchOne(rows);
        System.out.println();
        System.out.println("A pass applies every matrix of the shape once to a batch of random inputs, "
                + (rows.stream().anyMatch(r -> "unfused".equals(r.get("pass"))) ? "each matrix in its own call"
                : "as the engine does (an expert's FFN: gate and up in one "
                + "parallel pass, SiLU·up, down; attention: q, k and v in one pass, then o)") + " (30b-expert: gate "
                + "768x2048, up 768x2048, down 2048x768; 235b-expert: 1536x4096 x2, 4096x1536; 30b-attention: q 4096x2048,");
        System.out.println("k/v 512x2048, o 2048x4096; 235b-attention: q 8192x4096, k/v 512x4096, o 4096x8192), cycling "
                + "through copies of the weights (" + workingSetMb() + " MB per format and shape). GB/s: weight bytes "
                + "(scales included) per second,");
        System.out.println("median pass; read_bw: the read bandwidth at the same thread count, measured just before and "
                + "after the row (mean of the two); /read_bw: GB/s over it; GFLOP/s: 2 x rows x cols x batch per second;");
        System.out.println("/peak: GFLOP/s over the multiply-add peak at the same thread count.");
    }

    /**
     * For each shape, format and thread count measured at batch 1 and more: how many times batch 1's GFLOP/s each
     * larger batch reaches, and how many times the multiply-add peak would allow. A batch-1 kernel that streams
     * weights fast leaves a batched one less room: int8 or q4 at batch 1 near the read bandwidth already needs a
     * large part of the peak for 4x.
     */
    private static void printBatchedOverBatchOne(List<Map<String, Object>> rows) {
        Map<Integer, Double> peaks = new LinkedHashMap<>();
        Map<String, Double> batchOne = new LinkedHashMap<>();
        for (Map<String, Object> r : rows) {
            if (r.get("bench").equals("fma_peak")) {
                peaks.put(((Number) r.get("threads")).intValue(), ThreadCounts.number(r, "gflops"));
            } else if (r.get("bench").equals("kernel") && ((Number) r.get("batch")).intValue() == 1) {
                batchOne.put(kernelKey(r), ThreadCounts.number(r, "gflops"));
            }
        }
        List<String> lines = new ArrayList<>();
        for (Map<String, Object> r : rows) {
            Double one = batchOne.get(kernelKey(r));
            if (r.get("bench").equals("kernel") && ((Number) r.get("batch")).intValue() > 1 && one != null) {
                Double peak = peaks.get(((Number) r.get("threads")).intValue());
                lines.add(String.format("  %-15s %-9s %d thread(s), batch %3s: %5.1fx batch 1%s", r.get("shape"),
                        r.get("format"), ((Number) r.get("threads")).intValue(), r.get("batch"),
                        ThreadCounts.number(r, "gflops") / one,
                        peak == null ? "" : String.format(" (the peak allows %.1fx)", peak / one)));
            }
        }
        if (!lines.isEmpty()) {
            System.out.println();
            System.out.println("batched GFLOP/s over batch 1's:");
            lines.forEach(System.out::println);
        }
    }

    private static String kernelKey(Map<String, Object> r) {
        return r.get("shape") + "/" + r.get("format") + "/" + r.get("threads");
    }

    private static void progress(String message) {
        System.err.println("[INFO] " + message);
    }
}

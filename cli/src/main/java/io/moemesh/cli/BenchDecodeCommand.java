package io.moemesh.cli;

import io.moemesh.core.embedded.BenchModels;
import io.moemesh.core.engine.GenerationResult;
import io.moemesh.core.engine.Generator;
import io.moemesh.core.kernel.MatMul;
import io.moemesh.core.kernel.Parallel;
import io.moemesh.core.nn.Qwen3Model;
import io.moemesh.core.sampling.SamplingParams;
import io.moemesh.core.tensor.WeightPlan;
import io.moemesh.core.weights.Checkpoint;
import io.moemesh.core.weights.LoadMode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

/**
 * Prefill and decode tokens/s of one sequence in the embedded engine, per weight format and thread count. By default
 * on a synthetic model with Qwen3-30B-A3B's shape cut to a few layers; with {@code --model} on any checkpoint, so
 * that another engine can be timed on the very same files.
 */
@Command(name = "decode", mixinStandardHelpOptions = true,
        description = {"Prefill and decode tokens/s of one greedy sequence (EOS ignored) in the embedded engine, per "
                        + "weight format and thread count: warm-up generations until the kernels run compiled, then "
                        + "--repeats timed ones (median and best).",
                "Default model: Qwen3-30B-A3B's shape (hidden 2048, 32/4 heads of 128, 128 experts top-8 of width "
                        + "768, vocabulary 151936) cut to --layers layers, random weights, written once under "
                        + "$MOEMESH_HOME (about 1.3 GB per layer plus 1.2 GB of embeddings and head); --shape 235b-a22b: "
                        + "Qwen3-235B-A22B's layers (hidden 4096, 64/4 heads, experts of width 1536: about 5 GB per layer "
                        + "plus 2.5 GB), 2 layers by default."})
final class BenchDecodeCommand implements Callable<Integer> {
    @Option(names = "--model", paramLabel = "DIR",
            description = "Checkpoint directory (config.json + *.safetensors) or GGUF file. Default: the synthetic "
                    + "model of --shape.")
    Path model;

    @Option(names = "--shape", defaultValue = "30b-a3b", paramLabel = "SHAPE",
            description = "Layer shape of the synthetic model: 30b-a3b (default) or 235b-a22b.")
    String shape;

    @Option(names = "--layers", paramLabel = "L",
            description = "Layers of the synthetic model (default 8 for 30b-a3b, 2 for 235b-a22b: the llama.cpp "
                    + "anchor figures' cuts).")
    Integer layers;

    @Option(names = "--gguf", paramLabel = "MIX",
            description = "Write the synthetic model as a GGUF file typed as llama.cpp's MIX files are (q4_K_M: Q4_K, "
                    + "with Q6_K for the head and for attn_v and ffn_down in some layers; random super-blocks) and time "
                    + "that, e.g. with --formats stored,auto.")
    String gguf;

    @Option(names = "--fp8",
            description = "Write the synthetic model as Qwen's -FP8 releases store theirs (attention and expert "
                    + "projections in FP8 e4m3 with a float scale per 128x128 block, the rest bf16; about half the "
                    + "bytes) and time that, e.g. with --formats auto,int8.")
    boolean fp8;

    @Option(names = "--vocab", defaultValue = "151936", paramLabel = "V",
            description = "Vocabulary of the synthetic model (default ${DEFAULT-VALUE}, Qwen3's).")
    int vocab;

    @Option(names = "--formats", split = ",", defaultValue = "bf16,int8,q4,q4a8", paramLabel = "SPEC[,SPEC...]",
            description = "--weights specs to compare (default ${DEFAULT-VALUE}); join the roles of one spec with '+', "
                    + "e.g. experts=q4+attention=int8.")
    List<String> formats;

    @Option(names = "--threads", split = ",", paramLabel = "N[,N...]",
            description = "Engine threads (default 1 and every core); each count other than this JVM's runs in a child JVM.")
    List<Integer> threads;

    @Option(names = "--prompt-tokens", defaultValue = "128", paramLabel = "N",
            description = "Prompt length of the timed prefill (default ${DEFAULT-VALUE}).")
    int promptTokens;

    @Option(names = "--new-tokens", defaultValue = "32", paramLabel = "N",
            description = "Tokens decoded after the prompt (default ${DEFAULT-VALUE}).")
    int newTokens;

    @Option(names = "--repeats", defaultValue = "3", paramLabel = "N", description = "Timed generations (default ${DEFAULT-VALUE}).")
    int repeats;

    @Option(names = "--load", defaultValue = "memory", paramLabel = "MODE",
            description = "memory (default, as serve: stored weights copied into off-heap memory, as llama-bench "
                    + "holds them in RAM) or mmap (the file pages are the only copy; this kind of VM drops cold file "
                    + "pages and re-reads them from disk mid-run: 12.6 vs 18.1 tokens/s for bf16 at one thread).")
    String load;

    @Option(names = "--json", description = "One JSON object per line instead of the table.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        if (promptTokens < 1 || newTokens < 2 || repeats < 1) {
            throw new IllegalArgumentException("--prompt-tokens must be at least 1, --new-tokens at least 2 (decode "
                    + "speed counts the tokens after the first) and --repeats at least 1");
        }
        List<WeightPlan> plans = formats.stream().map(f -> WeightPlan.parse(f.replace('+', ','))).toList();
        LoadMode mode = switch (load.toLowerCase(Locale.ROOT)) {
            case "mmap" -> LoadMode.MMAP;
            case "memory" -> LoadMode.MEMORY;
            default -> throw new IllegalArgumentException("--load must be mmap or memory, got '" + load + "'");
        };
        BenchModels.Shape synthetic = BenchModels.Shape.of(shape);
        int layerCount = layers != null ? layers : synthetic.benchLayers();
        if (layerCount < 1) {
            throw new IllegalArgumentException("--layers must be at least 1, got " + layerCount);
        }
        // Written (or found) once here, so that child JVMs only read it.
        if (gguf != null && (model != null || !gguf.equalsIgnoreCase("q4_K_M"))) {
            throw new IllegalArgumentException(model != null ? "--gguf writes a synthetic model: not with --model"
                    : "--gguf: the one mix written is q4_K_M, got '" + gguf + "'");
        }
        if (fp8 && (model != null || gguf != null)) {
            throw new IllegalArgumentException("--fp8 writes a synthetic safetensors model: not with "
                    + (model != null ? "--model" : "--gguf"));
        }
        Path dir = model != null ? model
                : gguf != null ? synthetic.ensureQ4KM(layerCount, vocab, BenchDecodeCommand::progress)
                : fp8 ? synthetic.ensureFp8(layerCount, vocab, BenchDecodeCommand::progress)
                : synthetic.ensure(layerCount, vocab, BenchDecodeCommand::progress);
        String name = model != null ? String.valueOf(model.toAbsolutePath().normalize().getFileName())
                : synthetic.name(layerCount) + (gguf != null ? "-q4_K_M" : fp8 ? "-fp8" : "");
        List<Integer> threadCounts = threads != null ? threads : ThreadCounts.oneAndAll();
        List<Map<String, Object>> rows = new ArrayList<>();
        if (formats.size() == 1) {
            rows.addAll(ThreadCounts.run(threadCounts, () -> runHere(dir, name, plans, mode),
                    t -> childArgs(dir, formats.getFirst(), t)));
        } else {
            // One JVM per format: a JVM that has run one format's kernels compiles the next format's worse for a while
            // (measured: int8 decoding at a quarter of its speed right after bf16), which would bias the comparison.
            for (String format : formats) {
                for (int t : threadCounts) {
                    rows.addAll(ThreadCounts.child(t, childArgs(dir, format, t)));
                }
            }
        }
        if (model == null) {
            rows.forEach(r -> r.put("model", name));   // the children saw the synthetic model as a --model directory
        }
        print(rows);
        return 0;
    }

    private List<String> childArgs(Path dir, String format, int threads) {
        return List.of("decode", "--model", dir.toString(), "--formats", format.strip(), "--threads", Integer.toString(threads),
                "--prompt-tokens", Integer.toString(promptTokens), "--new-tokens", Integer.toString(newTokens),
                "--repeats", Integer.toString(repeats), "--load", load, "--json");
    }

    static final int WARM_UP_TOKENS = 64;

    private List<Map<String, Object>> runHere(Path dir, String name, List<WeightPlan> plans, LoadMode mode) {
        int threadCount = Parallel.threads();
        List<Map<String, Object>> rows = new ArrayList<>();
        for (WeightPlan plan : plans) {
            progress("loading " + name + " as " + plan + " (" + mode.toString().toLowerCase(Locale.ROOT) + "), "
                    + threadCount + " thread(s)...");
            long t0 = System.nanoTime();
            try (Checkpoint checkpoint = Checkpoint.open(dir, mode, plan);
                 Qwen3Model loaded = Qwen3Model.load(checkpoint, MatMul.vector())) {
                double loadSeconds = (System.nanoTime() - t0) / 1e9;
                int[] prompt = prompt(loaded.config().vocabSize());
                ModelOptions.checkIds(prompt, loaded.config().vocabSize(), dir);
                Generator generator = new Generator(loaded);
                warmUp(generator, prompt);
                double[] prefill = new double[repeats], decode = new double[repeats], allocKb = new double[repeats];
                for (int i = 0; i < repeats; i++) {
                    long[] allocated = new long[2];
                    GenerationResult r = generate(generator, prompt, newTokens, allocated);
                    prefill[i] = r.prefillTokensPerSecond();
                    decode[i] = r.decodeTokensPerSecond();
                    allocKb[i] = (allocated[1] - allocated[0]) / 1024.0 / Math.max(1, r.generatedIds().length - 1);
                    progress(String.format("%s %s, %d thread(s), run %d/%d: prefill %.1f tokens/s, decode %.2f tokens/s",
                            name, plan, threadCount, i + 1, repeats, prefill[i], decode[i]));
                }
                Map<String, Object> j = new LinkedHashMap<>();
                j.put("bench", "decode");
                j.put("model", name);
                j.put("format", plan.toString());
                j.put("threads", threadCount);
                j.put("decode_tps", ThreadCounts.round(median(decode), 3));
                j.put("decode_tps_best", ThreadCounts.round(Arrays.stream(decode).max().orElseThrow(), 3));
                j.put("prefill_tps", ThreadCounts.round(median(prefill), 3));
                j.put("prefill_tps_best", ThreadCounts.round(Arrays.stream(prefill).max().orElseThrow(), 3));
                j.put("decode_alloc_kb_per_token", ThreadCounts.round(median(allocKb), 1));
                j.put("prompt_tokens", promptTokens);
                j.put("new_tokens", newTokens);
                j.put("repeats", repeats);
                j.put("load_s", ThreadCounts.round(loadSeconds, 2));
                rows.add(j);
            }
        }
        return rows;
    }

    /** Warm-up generations after the first, while one still shows code that the optimising compiler has not reached. */
    static final int MAX_EXTRA_WARM_UPS = 5;
    /**
     * Allocation per decoded token above which some kernel still runs without Vector API intrinsics (boxed vectors).
     * A compiled decode step allocates ~4–6 KB (records and lambdas). The bound was 1 MB, made for the 12.8 MB of a
     * cold router gate, and it let through a Q4_K offsets' kernel still running uncompiled at 100–210 KB a token in 2
     * of ~9 one-thread JVMs, whose timed runs were then slower.
     */
    static final double COLD_ALLOC_KB_PER_TOKEN = 48;

    /**
     * Faults the pages in and gets every kernel to the optimising compiler (C2). A fixed count of tokens was not
     * enough: which kernel reaches C2 last depends on the format (with int8 weights the router gate's batch-1 bf16
     * dot was still in C1 code after 64 tokens: no intrinsics, 3x slower, 12.8 MB of boxed vectors per token). So
     * warm-up generations repeat while one allocates like cold code or decodes 5% faster than the one before.
     */
    private void warmUp(Generator generator, int[] prompt) {
        double previous = 0;
        for (int i = 0; i <= MAX_EXTRA_WARM_UPS; i++) {
            long[] allocated = new long[2];
            GenerationResult r = generate(generator, prompt, WARM_UP_TOKENS, allocated);
            double kbPerToken = (allocated[1] - allocated[0]) / 1024.0 / Math.max(1, r.generatedIds().length - 1);
            double tps = r.decodeTokensPerSecond();
            boolean warm = kbPerToken < COLD_ALLOC_KB_PER_TOKEN && previous > 0 && tps < previous * 1.05;
            progress(String.format("warm-up %d: decode %.2f tokens/s, %.0f KB allocated per token%s", i + 1, tps,
                    kbPerToken, warm ? "" : i < MAX_EXTRA_WARM_UPS ? " (not warm yet)" : " (giving up warming up)"));
            if (warm) {
                return;
            }
            previous = tps;
        }
    }

    /**
     * @param allocated receives the bytes allocated by all threads so far at the first token and at the end: the
     *                  decode steps' garbage (activations are meant to be reused; see core's Scratch)
     */
    private GenerationResult generate(Generator generator, int[] prompt, int tokens, long[] allocated) {
        boolean[] first = {true};
        GenerationResult r = generator.generate(prompt, tokens, SamplingParams.GREEDY, Set.of(), token -> {
            if (first[0]) {
                allocated[0] = allocatedBytes();
                first[0] = false;
            }
            return true;
        });
        allocated[1] = allocatedBytes();
        return r;
    }

    private static long allocatedBytes() {
        return ((com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean())
                .getTotalThreadAllocatedBytes();
    }

    private int[] prompt(int vocabSize) {
        SplittableRandom random = new SplittableRandom(promptTokens);
        int[] p = new int[promptTokens];
        for (int i = 0; i < p.length; i++) {
            p[i] = random.nextInt(Math.min(vocabSize, 150_000));
        }
        return p;
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    private void print(List<Map<String, Object>> rows) {
        if (json) {
            rows.forEach(r -> System.out.println(Json.line(r)));
            return;
        }
        System.out.printf("%-20s %-10s %7s %12s %10s %12s %10s %8s %12s%n", "model", "format", "threads", "prefill t/s",
                "best", "decode t/s", "best", "load s", "alloc KB/t");
        for (Map<String, Object> r : rows) {
            System.out.printf("%-20s %-10s %7s %12.2f %10.2f %12.3f %10.3f %8.1f %12.1f%n", r.get("model"),
                    r.get("format"), r.get("threads"), ThreadCounts.number(r, "prefill_tps"),
                    ThreadCounts.number(r, "prefill_tps_best"), ThreadCounts.number(r, "decode_tps"),
                    ThreadCounts.number(r, "decode_tps_best"), ThreadCounts.number(r, "load_s"),
                    ThreadCounts.number(r, "decode_alloc_kb_per_token"));
        }
        System.out.println();
        System.out.println("One sequence, greedy, EOS ignored: prefill of a " + promptTokens + "-token prompt in one forward "
                + "pass, then " + newTokens + " new tokens (decode t/s counts the " + (newTokens - 1) + " after the first);");
        System.out.println("median and best of " + repeats + " runs after warm-up generations; weights loaded with --load "
                + load + ", laid out or quantized at load for bf16/int8/q4/q4a8 (load s); alloc KB/t: bytes allocated by all threads per decoded token.");
    }

    private static void progress(String message) {
        System.err.println("[INFO] " + message);
    }
}

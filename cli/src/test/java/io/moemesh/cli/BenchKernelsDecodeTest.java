package io.moemesh.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.moemesh.core.ReferenceFixture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/**
 * `bench kernels` and `bench decode` in a second JVM (and their child JVMs per thread count), on tiny settings: the
 * JSON lines are complete, one per measured combination, with positive numbers. Speed itself is the benchmark's
 * business, not the test's.
 */
class BenchKernelsDecodeTest {
    static final ObjectMapper JSON = new ObjectMapper();
    @TempDir
    static Path home;

    static List<JsonNode> lines(CliProcess p) {
        assertEquals(0, p.exitCode(), p.stderr());
        return p.stdout().lines().map(l -> {
            try {
                return JSON.readTree(l);
            } catch (IOException e) {
                throw new UncheckedIOException("not a JSON line: " + l, e);
            }
        }).toList();
    }

    static void assertPositive(JsonNode line, String... fields) {
        for (String f : fields) {
            assertTrue(line.has(f), line + " lacks " + f);
            assertTrue(line.get(f).isNumber() && line.get(f).asDouble() > 0, line + ": " + f + " is not a positive number");
        }
    }

    @Test
    void kernelsPrintOneLinePerFormatShapeBatchAndThreadCountNextToTheReadBandwidth() {
        List<JsonNode> lines = lines(CliProcess.run(home, "bench", "kernels", "--quick", "--json",
                "--shapes", "30b-expert,30b-attention", "--formats", "bf16,int8,q4,q4a8,f32", "--batches", "1,8", "--threads", "1,2"));
        Set<String> kernels = new HashSet<>();
        Set<Integer> bandwidthThreads = new HashSet<>();
        Map<Integer, Double> peaks = new HashMap<>();
        for (JsonNode line : lines) {
            if (line.get("bench").asText().equals("fma_peak")) {
                assertPositive(line, "threads", "gflops", "gflops_best");
                assertNull(peaks.put(line.get("threads").asInt(), line.get("gflops").asDouble()), "repeated " + line);
            }
        }
        for (JsonNode line : lines) {
            switch (line.get("bench").asText()) {
                case "kernel" -> {
                    assertPositive(line, "batch", "threads", "gbps", "gbps_best", "gflops", "gflops_best", "read_bw_gbps",
                            "gbps_over_read_bw", "pass_ms_median", "pass_ms_min", "passes", "weight_mb_per_pass", "copies");
                    assertTrue(kernels.add(line.get("format").asText() + "/" + line.get("shape").asText() + "/"
                            + line.get("batch").asInt() + "/" + line.get("threads").asInt()), "repeated " + line);
                    assertTrue(line.get("gbps_best").asDouble() >= line.get("gbps").asDouble(), line.toString());
                    // by default a pass runs the shape as the engine does (an expert's fused FFN), not one matmul each
                    assertEquals("engine", line.get("pass").asText(), line.toString());
                    // the ratio is over this row's own reading (taken beside it), which the line reports (both rounded)
                    double ratio = line.get("gbps").asDouble() / line.get("read_bw_gbps").asDouble();
                    assertEquals(ratio, line.get("gbps_over_read_bw").asDouble(), 1e-3 * ratio + 1e-5, line.toString());
                    // and GFLOP/s over the multiply-add peak measured in the same JVM, at the same thread count (both
                    // printed to 4 decimals: with --quick the peak is ~1 GFLOP/s, so their rounding counts)
                    double peak = peaks.get(line.get("threads").asInt());
                    double overPeak = line.get("gflops").asDouble() / peak;
                    assertEquals(overPeak, line.get("gflops_over_fma_peak").asDouble(),
                            1e-3 * overPeak + 1e-4 / peak + 1e-5, line.toString());
                }
                case "fma_peak" -> {
                }
                case "read_bw" -> {
                    assertPositive(line, "threads", "gbps", "gbps_best", "buffer_mb");
                    bandwidthThreads.add(line.get("threads").asInt());
                }
                default -> fail("unexpected line " + line);
            }
        }
        assertEquals(5 * 2 * 2 * 2, kernels.size(), kernels.toString());
        for (String format : List.of("bf16", "int8", "q4", "q4a8", "f32")) {
            for (String shape : List.of("30b-expert", "30b-attention")) {
                for (int batch : List.of(1, 8)) {
                    for (int threads : List.of(1, 2)) {
                        assertTrue(kernels.contains(format + "/" + shape + "/" + batch + "/" + threads),
                                format + " " + shape + " batch " + batch + " threads " + threads + " missing");
                    }
                }
            }
        }
        assertTrue(bandwidthThreads.containsAll(List.of(1, 2)), "read bandwidth at 1 and 2 threads: " + bandwidthThreads);
        assertEquals(Set.of(1, 2), peaks.keySet(), "multiply-add peak at each thread count");
    }

    @Test
    void kernelsTableNamesTheReadBandwidthAndEachRow() {
        CliProcess p = CliProcess.run(home, "bench", "kernels", "--quick", "--shapes", "235b-expert", "--formats", "stored",
                "--batches", "1,8", "--threads", "1", "--unfused");
        assertEquals(0, p.exitCode(), p.stderr());
        assertTrue(p.stdout().contains("read bandwidth"), p.stdout());
        assertTrue(p.stdout().contains("multiply-add peak"), p.stdout());
        assertTrue(p.stdout().contains("each matrix in its own call"), p.stdout());
        assertTrue(p.stdout().lines().anyMatch(l -> l.startsWith("235b-expert") && l.contains("stored")), p.stdout());
        // batch 8 against batch 1, with what the peak would allow
        assertTrue(p.stdout().lines().anyMatch(l -> l.contains("235b-expert") && l.contains("batch   8:")
                && l.contains("x batch 1 (the peak allows")), p.stdout());
    }

    /** The same measurement on a GGUF file, so that two engines can be timed on the very same file. */
    @Test
    void decodeRunsOnAGgufFile() {
        Path gguf = io.moemesh.core.weights.gguf.FixtureGguf.convert(ReferenceFixture.modelDir("tiny-qwen3-moe"),
                io.moemesh.core.weights.DType.Q8_0, home.resolve("tiny-qwen3-moe-q8_0.gguf"));
        List<JsonNode> lines = lines(CliProcess.run(home, "bench", "decode", "--model", gguf.toString(), "--json",
                "--formats", "stored", "--threads", "1", "--prompt-tokens", "8", "--new-tokens", "4", "--repeats", "1"));
        assertEquals(1, lines.size(), lines.toString());
        assertEquals("tiny-qwen3-moe-q8_0.gguf", lines.getFirst().get("model").asText());
        assertPositive(lines.getFirst(), "decode_tps", "prefill_tps");
    }

    @Test
    void decodePrintsOneLinePerFormatAndThreadCountOnAnyCheckpoint() {
        Path model = ReferenceFixture.modelDir("tiny-qwen3-moe");
        List<JsonNode> lines = lines(CliProcess.run(home, "bench", "decode", "--model", model.toString(), "--json",
                "--formats", "stored,int8,q4,experts=q4+attention=int8", "--threads", "1,2",
                "--prompt-tokens", "8", "--new-tokens", "4", "--repeats", "2"));
        Set<String> seen = new HashSet<>();
        for (JsonNode line : lines) {
            assertEquals("decode", line.get("bench").asText(), line.toString());
            // the directory's name (the fixture is extracted to a temporary directory when it comes from a jar)
            assertEquals(model.getFileName().toString(), line.get("model").asText(), line.toString());
            assertPositive(line, "threads", "decode_tps", "decode_tps_best", "prefill_tps", "prefill_tps_best", "load_s");
            assertEquals(8, line.get("prompt_tokens").asInt());
            assertEquals(4, line.get("new_tokens").asInt());
            assertTrue(seen.add(line.get("format").asText() + "/" + line.get("threads").asInt()), "repeated " + line);
        }
        assertEquals(Set.of("stored/1", "int8/1", "q4/1", "experts=q4,attention=int8,head=stored/1",
                "stored/2", "int8/2", "q4/2", "experts=q4,attention=int8,head=stored/2"), seen);
    }

    @Test
    void unknownFormatsAndShapesAreOneLineErrors() {
        CliProcess format = CliProcess.run(home, "bench", "kernels", "--quick", "--formats", "q3");
        assertEquals(1, format.exitCode());
        assertTrue(format.errors().contains("unknown format 'q3'"), format.stderr());
        CliProcess shape = CliProcess.run(home, "bench", "kernels", "--quick", "--shapes", "7b-expert");
        assertEquals(1, shape.exitCode());
        assertTrue(shape.errors().contains("unknown shape '7b-expert'"), shape.stderr());
        CliProcess weights = CliProcess.run(home, "bench", "decode", "--model", ReferenceFixture.modelDir("tiny-qwen3-moe")
                .toString(), "--formats", "int3");
        assertEquals(1, weights.exitCode());
        assertTrue(weights.errors().contains("int3"), weights.stderr());
        CliProcess model = CliProcess.run(home, "bench", "decode", "--shape", "7b-a1b");
        assertEquals(1, model.exitCode());
        assertTrue(model.errors().contains("unknown model shape '7b-a1b': expected one of 30b-a3b, 235b-a22b"),
                model.stderr());
        // a GGUF mix not written, and a synthetic GGUF asked for beside a --model: refused before anything is written
        CliProcess mix = CliProcess.run(home, "bench", "decode", "--gguf", "q3_K_S");
        assertEquals(1, mix.exitCode());
        assertTrue(mix.errors().contains("the one mix written is q4_K_M, got 'q3_K_S'"), mix.stderr());
        CliProcess both = CliProcess.run(home, "bench", "decode", "--gguf", "q4_K_M", "--model",
                ReferenceFixture.modelDir("tiny-qwen3-moe").toString());
        assertEquals(1, both.exitCode());
        assertTrue(both.errors().contains("not with --model"), both.stderr());
        CliProcess fp8 = CliProcess.run(home, "bench", "decode", "--fp8", "--gguf", "q4_K_M");
        assertEquals(1, fp8.exitCode());
        assertTrue(fp8.errors().contains("--fp8 writes a synthetic safetensors model: not with --gguf"), fp8.stderr());
    }
}

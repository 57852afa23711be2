package io.moemesh.cli;

import com.fasterxml.jackson.core.type.TypeReference;
import io.moemesh.core.kernel.Parallel;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs a benchmark at several engine thread counts. {@link Parallel} sizes its one pool once, from
 * {@code -Dmoemesh.threads}, so a thread count other than this JVM's runs the same command again in a child JVM
 * with that property, asked for {@code --json} and a single {@code --threads}; its JSON lines come back as rows.
 * Progress (the child's stderr) passes straight through.
 */
final class ThreadCounts {
    private ThreadCounts() {
    }

    /** The benchmark in this JVM, at {@link Parallel#threads()}: its rows, one map per JSON line. */
    interface Here {
        List<Map<String, Object>> run() throws Exception;
    }

    /**
     * @param args the command's arguments for one thread count (with {@code --threads N --json}), from {@code bench}
     */
    interface Args {
        List<String> forThreads(int threads);
    }

    /** Rows for every thread count, in order: in this JVM when its pool has that many threads, else in a child. */
    static List<Map<String, Object>> run(List<Integer> threadCounts, Here here, Args args) throws Exception {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (int threads : threadCounts) {
            if (threads < 1) {
                throw new IllegalArgumentException("--threads must be at least 1, got " + threads);
            }
            rows.addAll(threads == Parallel.threads() ? here.run() : child(threads, args.forThreads(threads)));
        }
        return rows;
    }

    /** 1 and every core: what a benchmark compares by default. */
    static List<Integer> oneAndAll() {
        int all = Runtime.getRuntime().availableProcessors();
        return all == 1 ? List.of(1) : List.of(1, all);
    }

    /** Runs {@code bench args} in a child JVM with {@code threads} engine threads; its JSON lines are the rows. */
    static List<Map<String, Object>> child(int threads, List<String> args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String option : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (!option.startsWith("-Dmoemesh.threads=")) {
                command.add(option);
            }
        }
        command.add("-Dmoemesh.threads=" + threads);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName(), "bench"));
        command.addAll(args);
        System.err.println("[INFO] " + threads + " thread(s): running in a child JVM with -Dmoemesh.threads=" + threads);
        Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int code = p.waitFor();
        if (code != 0) {
            throw new IllegalStateException("the benchmark at " + threads + " thread(s) failed (exit " + code + ")");
        }
        List<Map<String, Object>> rows = new ArrayList<>();
        for (String line : out.lines().filter(l -> l.startsWith("{")).toList()) {
            try {
                rows.add(Json.MAPPER.readValue(line, new TypeReference<LinkedHashMap<String, Object>>() { }));
            } catch (IOException e) {
                throw new UncheckedIOException("unreadable line from the child JVM: " + line, e);
            }
        }
        return rows;
    }

    static double number(Map<String, Object> row, String key) {
        return ((Number) row.get(key)).doubleValue();
    }

    static double round(double v, int decimals) {
        double scale = Math.pow(10, decimals);
        return Math.round(v * scale) / scale;
    }
}

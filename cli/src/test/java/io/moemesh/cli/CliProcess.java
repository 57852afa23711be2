package io.moemesh.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the command line in a second JVM, as a user would, and captures what it prints. */
record CliProcess(int exitCode, String stdout, String stderr) {

    /** Each line of stdout as JSON (what --json prints); a line that is not JSON fails the test, naming it. */
    List<com.fasterxml.jackson.databind.JsonNode> jsonLines() {
        return stdout.lines().map(l -> {
            try {
                return Json.MAPPER.readTree(l);
            } catch (Exception e) {
                throw new AssertionError("not JSON: " + l, e);
            }
        }).toList();
    }

    static CliProcess run(Path home, String... args) {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        command.addAll(List.of(args));
        return exec(new ProcessBuilder(command), home, args);
    }

    /** The real ./moe-mesh script at the repository root (integration tests, after `package` built its jar). */
    static CliProcess script(Path home, String... args) {
        Path root = Path.of("").toAbsolutePath().getParent();
        List<String> command = new ArrayList<>(List.of(root.resolve("moe-mesh").toString()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).directory(root.toFile());
        pb.environment().put("MOEMESH_NO_BUILD", "1");
        return exec(pb, home, args);
    }

    private static CliProcess exec(ProcessBuilder pb, Path home, String... args) {
        pb.environment().put("MOEMESH_HOME", home.toString());
        pb.environment().remove("MOEMESH_DEBUG");
        try {
            Process p = pb.start();
            p.getOutputStream().close();
            var out = p.getInputStream().readAllBytes();
            var err = p.getErrorStream().readAllBytes();
            if (!p.waitFor(300, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("moe-mesh " + String.join(" ", args) + " did not finish");
            }
            return new CliProcess(p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
        } catch (IOException | InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    /** stderr without the JVM's incubator-module notice. */
    String errors() {
        return stderr.lines().filter(l -> !l.contains("Using incubator modules")).reduce("", (a, b) -> a + b + "\n");
    }
}

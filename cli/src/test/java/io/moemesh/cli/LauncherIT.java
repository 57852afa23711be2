package io.moemesh.cli;

import io.moemesh.core.ReferenceFixture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/** The real `./moe-mesh` script at the repository root, after `package` built the jar it runs. */
class LauncherIT {
    @TempDir
    Path home;

    private String[] run(String... args) throws IOException, InterruptedException {
        Path root = Path.of("").toAbsolutePath().getParent();
        List<String> cmd = new java.util.ArrayList<>(List.of(root.resolve("moe-mesh").toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(root.toFile());
        pb.environment().put("MOEMESH_HOME", home.toString());
        pb.environment().put("MOEMESH_NO_BUILD", "1");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        return new String[]{Integer.toString(p.exitValue()), out, err};
    }

    @Test
    void helpListsTheCommands() throws Exception {
        String[] r = run("--help");
        assertEquals("0", r[0], r[2]);
        for (String command : List.of("generate", "forward", "tokenize", "chat-template")) {
            assertTrue(r[1].contains(command), "--help lists " + command + ":\n" + r[1]);
        }
    }

    @Test
    void greedyGenerateThroughTheScript() throws Exception {
        ReferenceFixture ref = ReferenceFixture.load("tiny-qwen3-moe-128x8");
        int[] prompt = ref.i("input_ids");
        int[] expected = ref.i("generated_ids");
        String[] r = run("generate", "--model", ref.dir().toString(), "--input-ids", CliReferenceTest.ids(prompt),
                "--max-new-tokens", Integer.toString(expected.length - prompt.length), "--temperature", "0", "--ids");
        assertEquals("0", r[0], r[2]);
        assertEquals("{\"generated_ids\":[" + CliReferenceTest.ids(expected) + "]}", r[1].strip());
    }

    @Test
    void badInputExitsNonZeroWithOneLine() throws Exception {
        String[] r = run("generate", "--input-ids", "1,2", "--model", "/no/such/dir");
        assertNotEquals("0", r[0]);
        assertTrue(r[2].contains("error: /no/such/dir: not a checkpoint directory"), r[2]);
    }
}

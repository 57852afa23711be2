package io.moemesh.cli;

import io.moemesh.core.ReferenceFixture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The real `./moe-mesh` script at the repository root, after `package` built the jar it runs. */
class LauncherIT {
    @TempDir
    Path home;

    private CliProcess run(String... args) {
        return CliProcess.script(home, args);
    }

    @Test
    void helpListsTheCommands() throws Exception {
        CliProcess r = run("--help");
        assertEquals(0, r.exitCode(), r.stderr());
        for (String command : List.of("serve", "generate", "forward", "tokenize", "chat-template")) {
            assertTrue(r.stdout().contains(command), "--help lists " + command + ":\n" + r.stdout());
        }
    }

    @Test
    void greedyGenerateThroughTheScript() throws Exception {
        ReferenceFixture ref = ReferenceFixture.load("tiny-qwen3-moe-128x8");
        int[] prompt = ref.i("input_ids");
        int[] expected = ref.i("generated_ids");
        CliProcess r = run("generate", "--model", ref.dir().toString(), "--input-ids", CliReferenceTest.ids(prompt),
                "--max-new-tokens", Integer.toString(expected.length - prompt.length), "--temperature", "0", "--ids");
        assertEquals(0, r.exitCode(), r.stderr());
        assertEquals("{\"generated_ids\":[" + CliReferenceTest.ids(expected) + "]}", r.stdout().strip());
    }

    @Test
    void badInputExitsNonZeroWithOneLine() throws Exception {
        CliProcess r = run("generate", "--input-ids", "1,2", "--model", "/no/such/dir");
        assertNotEquals(0, r.exitCode());
        assertTrue(r.stderr().contains("error: /no/such/dir: not a checkpoint directory"), r.stderr());
    }
}

package io.moemesh.cli;

import io.moemesh.core.ReferenceFixture;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/** Bad command-line input: exit code ≠ 0 and one clear line on stderr, no stack trace. */
class CliErrorsTest {
    @TempDir
    static Path home;

    record Case(String expectedInMessage, String[] args) {
        @Override
        public String toString() {
            return String.join(" ", args);
        }
    }

    static Stream<Case> cases() {
        String tiny = ReferenceFixture.modelDir("tiny-qwen3-moe").toString();
        return Stream.of(
                new Case("Unknown option", new String[]{"forward", "--model", tiny, "--input-ids", "1", "--output", "o", "--bogus"}),
                new Case("--output", new String[]{"forward", "--model", tiny, "--input-ids", "1,2"}),
                new Case("'x' is not a token id", new String[]{"forward", "--model", tiny, "--input-ids", "1,x,3", "--output", "/tmp/o.safetensors"}),
                new Case("token id 5000 is outside the vocabulary", new String[]{"forward", "--model", tiny, "--input-ids", "1,5000", "--output", home.resolve("o.safetensors").toString()}),
                new Case("not a checkpoint directory", new String[]{"generate", "--model", "/no/such/model", "--input-ids", "1", "--max-new-tokens", "1"}),
                new Case("temperature must be >= 0", new String[]{"generate", "--model", tiny, "--input-ids", "1", "--temperature", "-1"}),
                new Case("top_p must be in (0, 1]", new String[]{"generate", "--model", tiny, "--input-ids", "1", "--top-p", "1.5"}),
                new Case("--max-new-tokens must be >= 0", new String[]{"generate", "--model", tiny, "--input-ids", "1", "--max-new-tokens", "-3"}),
                new Case("mutually exclusive", new String[]{"generate", "--model", tiny, "--input-ids", "1", "--prompt", "hi"}),
                new Case("Missing required argument", new String[]{"generate", "--model", tiny}),
                new Case("--load must be memory or mmap", new String[]{"generate", "--model", tiny, "--input-ids", "1", "--load", "disk"}),
                new Case("Unmatched argument", new String[]{"frobnicate"}),
                new Case("cannot read", new String[]{"chat-template", "--request", "/no/such/request.json"}),
                new Case("tokenizer.json", new String[]{"tokenize", "--tokenizer", "/no/such/dir", "--text", "hi"}),
                new Case("--model /no/such/model: no such file or directory", new String[]{"serve", "--model", "/no/such/model"}),
                new Case("--port must be a port number", new String[]{"serve", "--model", tiny, "--port", "0"}),
                new Case("--grpc-port must be a port number", new String[]{"serve", "--model", tiny, "--grpc-port", "70000"}),
                new Case("--api-key must not be empty", new String[]{"serve", "--model", tiny, "--api-key", ""}),
                new Case("--weights 'q3'", new String[]{"serve", "--model", tiny, "--weights", "q3"}),
                new Case("--url and --model exclude each other", new String[]{"bench", "serve", "--url", "http://127.0.0.1:1", "--model", tiny}),
                new Case("--concurrency levels must be at least 1", new String[]{"bench", "serve", "--concurrency", "1,0"}),
                new Case("cannot reach http://127.0.0.1:1/v1/models", new String[]{"bench", "serve", "--url", "http://127.0.0.1:1"}));
    }

    @ParameterizedTest
    @MethodSource("cases")
    void badInputGetsOneClearLine(Case c) {
        CliProcess p = CliProcess.run(home, c.args());
        assertNotEquals(0, p.exitCode(), "exit code for " + c);
        String err = p.errors();
        assertTrue(err.startsWith("error: "), "first line starts with 'error: ': " + err);
        assertTrue(err.contains(c.expectedInMessage()), "'" + err + "' should mention '" + c.expectedInMessage() + "'");
        assertFalse(err.contains("\tat "), "no stack trace: " + err);
        assertTrue(p.stdout().isEmpty(), "nothing on stdout: " + p.stdout());
    }
}

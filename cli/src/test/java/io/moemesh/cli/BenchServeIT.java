package io.moemesh.cli;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * `./moe-mesh bench serve --json` against a gateway it starts on the embedded default model (written under a fresh
 * $MOEMESH_HOME): one line per concurrency level with figures that hold together (no speed is asserted).
 */
class BenchServeIT {
    @TempDir
    Path home;

    @Test
    void reportsThroughputAndTimeToFirstTokenPerConcurrencyLevel() {
        CliProcess r = CliProcess.script(home, "bench", "serve", "--concurrency", "1,2", "--max-tokens", "4",
                "--prompt-tokens", "16", "--requests-per-stream", "1", "--json");
        assertEquals(0, r.exitCode(), r.errors());
        List<JsonNode> lines = r.jsonLines();
        assertEquals(2, lines.size(), r.stdout());
        for (int i = 0; i < 2; i++) {
            JsonNode j = lines.get(i);
            int concurrency = i + 1;
            assertEquals("serve", j.get("bench").asText());
            assertEquals("moe-mesh-default", j.get("model").asText());
            assertEquals(concurrency, j.get("concurrency").asInt(), j::toString);
            assertEquals(concurrency, j.get("requests").asInt(), j::toString);
            long tokens = j.get("completion_tokens").asLong();
            assertTrue(tokens > 0 && tokens <= 4L * concurrency, j::toString);
            assertTrue(j.get("prompt_tokens").asInt() >= 16, "16 tokens of text and the chat template: " + j);
            assertTrue(j.get("aggregate_tps").asDouble() > 0, j::toString);
            assertTrue(j.get("stream_tps_p50").asDouble() > 0, j::toString);
            assertTrue(j.get("ttft_p50_ms").asDouble() > 0, j::toString);
            assertTrue(j.get("ttft_p99_ms").asDouble() >= j.get("ttft_p50_ms").asDouble(), j::toString);
        }
    }
}

package io.moemesh.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.moemesh.core.ReferenceFixture;
import io.moemesh.core.config.Qwen3Config;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * `./moe-mesh bench mesh --json` on a reference model: one line per batch with speeds both ways and wire figures
 * that hold together (no timing is asserted: speed belongs to the benchmark, not the test).
 */
class BenchMeshIT {
    @TempDir
    Path home;

    @Test
    void reportsSpeedsRoundTripsAndBytesAgainstTheMinimum() throws Exception {
        Path model = ReferenceFixture.modelDir("tiny-qwen3-moe-128x8");
        Qwen3Config c = Qwen3Config.load(model.resolve("config.json"));
        CliProcess r = CliProcess.script(home, "bench", "mesh", "--models", model.toString(), "--batches", "1,3",
                "--new-tokens", "6", "--prompt-tokens", "5", "--json");
        assertEquals(0, r.exitCode(), r.errors());
        List<JsonNode> lines = r.jsonLines();
        assertEquals(2, lines.size(), r.stdout());
        for (int i = 0; i < 2; i++) {
            JsonNode j = lines.get(i);
            assertEquals("mesh", j.get("bench").asText());
            assertEquals(i == 0 ? 1 : 3, j.get("batch").asInt());
            assertTrue(j.get("embedded_decode_tps").asDouble() > 0, j::toString);
            assertTrue(j.get("mesh_decode_tps").asDouble() > 0, j::toString);
            assertTrue(j.get("router_rtt_p99_ms").asDouble() >= j.get("router_rtt_p50_ms").asDouble(), j::toString);
            assertTrue(j.get("router_rtt_p50_ms").asDouble() > 0, j::toString);
            // f32 wire: the minimum is 2 × 4 × hidden bytes per distinct host, and every token meets 1..3 hosts
            double hosts = j.get("hosts_per_token_layer").asDouble();
            assertTrue(hosts >= 1 && hosts <= 3, j::toString);
            assertEquals(hosts * 8 * c.hiddenSize(), j.get("minimum_bytes_per_token_layer").asDouble(), 0.01 * hosts * 8 * c.hiddenSize());
            assertTrue(j.get("router_experts_bytes_per_token_layer").asDouble() >= j.get("minimum_bytes_per_token_layer").asDouble(), j::toString);
            // gateway <-> router carries one f32 vector each way, plus top-k ids and weights
            assertTrue(j.get("gateway_router_bytes_per_token_layer").asDouble() >= 8 * c.hiddenSize(), j::toString);
            assertTrue(j.get("wire_over_minimum").asDouble() >= 1, j::toString);
        }
        assertTrue(lines.get(1).get("mean_step_batch").asDouble() > 1.5, "3 clients share steps: " + lines.get(1));
    }
}

package io.moemesh.gateway;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.moemesh.core.PrometheusText;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Time to first token, inter-token latency, token counts and the scheduler's queue at /q/metrics. */
@QuarkusTest
@WithTestResource(FixtureModel.class)
class ServingMetricsTest {
    @BeforeEach
    void modelLoaded() {
        ModelLoaded.await();
    }

    private static String metrics() {
        return given().get("/q/metrics").then().statusCode(200).extract().asString();
    }

    private static double delta(String before, String after, String name) {
        return PrometheusText.sum(after, name) - PrometheusText.sum(before, name);
    }

    @Test
    void aCompletionOfSevenTokensRecordsOneFirstTokenAndSixGaps() {
        String before = metrics();
        given().contentType("application/json")
                .body("{\"model\":\"test-qwen3-moe\",\"prompt\":[1,2,3,4,5],\"max_tokens\":7,\"temperature\":0,"
                        + "\"ignore_eos\":true,\"n\":2}")
                .post("/v1/completions").then().statusCode(200);
        String after = metrics();

        // n = 2: two sequences, each with its own first token and gaps.
        assertEquals(2, delta(before, after, "moemesh_gateway_time_to_first_token_seconds_count"));
        assertEquals(12, delta(before, after, "moemesh_gateway_inter_token_latency_seconds_count"));
        assertEquals(14, delta(before, after, "moemesh_gateway_generation_tokens_total"));
        assertEquals(10, delta(before, after, "moemesh_gateway_prompt_tokens_total"));
        assertTrue(delta(before, after, "moemesh_gateway_time_to_first_token_seconds_sum") > 0);
        // Histograms, so that Prometheus can take any quantile over any window.
        assertTrue(PrometheusText.has(after, "moemesh_gateway_time_to_first_token_seconds_bucket"));
        assertTrue(PrometheusText.has(after, "moemesh_gateway_inter_token_latency_seconds_bucket"));
        assertEquals(0, PrometheusText.sum(after, "moemesh_gateway_queue_depth"));
        assertTrue(PrometheusText.has(after, "moemesh_gateway_running_sequences"));
        // both sequences have ended: their KV pages wait for the next ones
        assertEquals(0, PrometheusText.sum(after, "moemesh_gateway_kv_cache_used_bytes"));
        assertTrue(PrometheusText.sum(after, "moemesh_gateway_kv_cache_free_bytes") > 0);
    }
}

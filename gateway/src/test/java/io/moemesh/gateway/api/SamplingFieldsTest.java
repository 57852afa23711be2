package io.moemesh.gateway.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.moemesh.core.sampling.SamplingParams;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** Qwen3's recommended sampling per mode, and a request's own values winning over them. */
class SamplingFieldsTest {
    private static JsonFields body(String json) throws Exception {
        return new JsonFields(new ObjectMapper().readTree(json));
    }

    @Test
    void eachModeHasTheReportsDefaults() throws Exception {
        SamplingParams thinking = SamplingFields.sampling(body("{}"), true);
        assertEquals(0.6, thinking.temperature());
        assertEquals(0.95, thinking.topP());
        assertEquals(20, thinking.topK());
        assertEquals(0, thinking.presencePenalty());
        SamplingParams direct = SamplingFields.sampling(body("{}"), false);
        assertEquals(0.7, direct.temperature());
        assertEquals(0.8, direct.topP());
        assertEquals(20, direct.topK());
        assertEquals(1.5, direct.presencePenalty());
    }

    @Test
    void theRequestsOwnValuesWin() throws Exception {
        SamplingParams p = SamplingFields.sampling(body("{\"temperature\": 0, \"top_p\": 0.5, \"top_k\": 3,"
                + " \"presence_penalty\": 0, \"seed\": 42, \"min_p\": 0.1, \"repetition_penalty\": 1.1}"), false);
        assertEquals(0, p.temperature());
        assertEquals(0.5, p.topP());
        assertEquals(3, p.topK());
        assertEquals(0, p.presencePenalty());
        assertEquals(42L, p.seed());
        assertEquals(0.1, p.minP());
        assertEquals(1.1, p.repetitionPenalty(), 1e-12);
    }

    @Test
    void maxCompletionTokensIsTheNewerNameAndAbsentMeansTheRestOfTheContext() throws Exception {
        assertEquals(7, SamplingFields.maxTokens(body("{\"max_completion_tokens\": 7, \"max_tokens\": 9}"), 10, 100, "messages"));
        assertEquals(9, SamplingFields.maxTokens(body("{\"max_tokens\": 9}"), 10, 100, "messages"));
        assertEquals(90, SamplingFields.maxTokens(body("{}"), 10, 100, "messages"));
        ApiException e = assertThrows(ApiException.class, () -> SamplingFields.maxTokens(body("{}"), 100, 100, "messages"));
        assertEquals("context_length_exceeded", e.code());
    }
}

package io.moemesh.gateway.api;

import io.moemesh.gateway.ModelLoaded;
import io.moemesh.gateway.engine.GatewayEngine;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.*;

/** Every way a request can be wrong gets its OpenAI status and error body, and takes nothing down with it. */
@QuarkusTest
@TestProfile(EmbeddedModelProfile.class)
class ApiErrorsTest {
    private static final String HELLO = "{\"role\": \"user\", \"content\": \"hello\"}";

    @Inject
    GatewayEngine engine;

    @TestHTTPResource("/v1/chat/completions")
    URL chat;

    @BeforeEach
    void loaded() {
        ModelLoaded.await();
    }

    private static io.restassured.response.ValidatableResponse post(String path, String body) {
        return given().contentType("application/json").body(body).when().post(path).then();
    }

    private static void badRequest(String body, String param, String message) {
        post("/v1/chat/completions", body).statusCode(400)
                .body("error.type", is("invalid_request_error"))
                .body("error.param", is(param))
                .body("error.message", containsString(message));
    }

    @Test
    void malformedOrMistypedBodiesAre400NamingTheField() {
        post("/v1/chat/completions", "{\"messages\": [").statusCode(400)
                .body("error.message", containsString("not valid JSON"));
        post("/v1/chat/completions", "").statusCode(400).body("error.message", containsString("no body"));
        badRequest("[1, 2]", null, "must be a JSON object");
        badRequest("{}", "messages", "'messages' is required");
        badRequest("{\"messages\": []}", "messages", "non-empty array");
        badRequest("{\"messages\": [{\"role\": \"robot\", \"content\": \"x\"}]}", "messages[0].role", "must be one of");
        badRequest("{\"messages\": [{\"role\": \"user\"}]}", "messages[0].content", "is required");
        badRequest("{\"messages\": [" + HELLO + "], \"temperature\": \"hot\"}", "temperature", "must be a number, got a string");
        badRequest("{\"messages\": [" + HELLO + "], \"max_tokens\": 1.5}", "max_tokens", "must be an integer");
        badRequest("{\"messages\": [" + HELLO + "], \"stream\": \"yes\"}", "stream", "must be a boolean");
        badRequest("{\"messages\": [" + HELLO + "], \"stop\": [1]}", "stop", "a string or an array of strings");
        badRequest("{\"messages\": [" + HELLO + "], \"tools\": {}}", "tools", "must be an array");
        badRequest("{\"messages\": [" + HELLO + "], \"tool_choice\": \"required\"}", "tool_choice", "supports \"auto\" and \"none\"");
    }

    @Test
    void impossibleSamplingValuesAre400() {
        badRequest("{\"messages\": [" + HELLO + "], \"temperature\": 2.5}", "temperature", "[0, 2]");
        badRequest("{\"messages\": [" + HELLO + "], \"top_p\": 0}", "top_p", "(0, 1]");
        badRequest("{\"messages\": [" + HELLO + "], \"top_k\": -5}", "top_k", "-1 or 0");
        badRequest("{\"messages\": [" + HELLO + "], \"min_p\": 1.5}", "min_p", "[0, 1]");
        badRequest("{\"messages\": [" + HELLO + "], \"presence_penalty\": 3}", "presence_penalty", "[-2, 2]");
        badRequest("{\"messages\": [" + HELLO + "], \"frequency_penalty\": -2.5}", "frequency_penalty", "[-2, 2]");
        badRequest("{\"messages\": [" + HELLO + "], \"repetition_penalty\": 0}", "repetition_penalty", "(0, 2]");
        badRequest("{\"messages\": [" + HELLO + "], \"n\": 0}", "n", "[1, 16]");
        badRequest("{\"messages\": [" + HELLO + "], \"max_tokens\": 0}", "max_tokens", "at least 1");
        badRequest("{\"messages\": [" + HELLO + "], \"top_logprobs\": 3}", "top_logprobs", "needs \"logprobs\": true");
        badRequest("{\"messages\": [" + HELLO + "], \"logprobs\": true, \"top_logprobs\": 21}", "top_logprobs", "[0, 20]");
        badRequest("{\"messages\": [" + HELLO + "], \"logit_bias\": {\"999999\": 5}}", "logit_bias", "outside the vocabulary");
        badRequest("{\"messages\": [" + HELLO + "], \"logit_bias\": {\"5\": 101}}", "logit_bias", "[-100, 100]");
        badRequest("{\"messages\": [" + HELLO + "], \"thinking_budget\": -1}", "thinking_budget", ">= 0");
        badRequest("{\"messages\": [" + HELLO + "], \"stream_options\": {\"include_usage\": true}}", "stream_options",
                "only allowed with \"stream\": true");
    }

    @Test
    void anUnknownModelIs404AndAnUnknownRouteToo() {
        post("/v1/chat/completions", "{\"model\": \"gpt-4o\", \"messages\": [" + HELLO + "]}").statusCode(404)
                .body("error.code", is("model_not_found"))
                .body("error.message", containsString("gpt-4o"));
        post("/v1/embeddings", "{}").statusCode(404).body("error.code", is("unknown_url"));
    }

    @Test
    void aPromptBeyondTheContextIs400ContextLengthExceeded() {
        int context = engine.model().config().maxPositionEmbeddings();
        String ids = IntStream.range(0, context).mapToObj(i -> "100").collect(Collectors.joining(","));
        post("/v1/completions", "{\"prompt\": [" + ids + "], \"max_tokens\": 1}").statusCode(400)
                .body("error.code", is("context_length_exceeded"))
                .body("error.message", containsString(context + " tokens"));
        post("/v1/chat/completions", "{\"messages\": [" + HELLO + "], \"max_tokens\": " + context + "}").statusCode(400)
                .body("error.code", is("context_length_exceeded"))
                .body("error.param", is("max_tokens"));
        // and the server still serves
        post("/v1/chat/completions", "{\"messages\": [" + HELLO + "], \"max_tokens\": 2}").statusCode(200)
                .body("usage.completion_tokens", is(2));
    }

    @Test
    void aClientThatGoesAwayFreesItsKvCacheAtOnce() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        HttpRequest request = HttpRequest.newBuilder(URI.create(chat.toString()))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"messages\": [" + HELLO
                        + "], \"stream\": true, \"max_tokens\": 20000, \"ignore_eos\": true}"))
                .build();
        HttpResponse<InputStream> response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, response.statusCode());
        assertEquals("text/event-stream", response.headers().firstValue("Content-Type").orElseThrow());
        InputStream body = response.body();
        BufferedReader lines = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8));
        int events = 0;
        while (events < 3) {
            String line = lines.readLine();
            assertNotNull(line, "the stream ended early");
            if (line.startsWith("data: {")) {
                events++;
            }
        }
        assertEquals(1, engine.scheduler().running());
        assertEquals(1, engine.cachedSequences());
        body.close(); // the client hangs up mid-stream
        long deadline = System.nanoTime() + 10_000_000_000L;
        while ((engine.scheduler().running() > 0 || engine.cachedSequences() > 0) && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(0, engine.scheduler().running(), "the generation still runs");
        assertEquals(0, engine.cachedSequences(), "its KV cache is still held");
    }
}

package io.moemesh.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.*;

/**
 * `bench serve --url` against a stand-in OpenAI server in this JVM: the requests it sends (streaming, usage, greedy,
 * thinking off, the API key), how many it keeps in flight, dropping ignore_eos when refused, and what it reports.
 */
class BenchServeClientTest {
    @TempDir
    Path home;

    private HttpServer server;
    private final List<JsonNode> bodies = new CopyOnWriteArrayList<>();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger peak = new AtomicInteger();
    private volatile boolean refuseIgnoreEos;

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
        server.setExecutor(Executors.newCachedThreadPool());
        server.createContext("/v1/models", x -> {
            if (authorized(x)) {
                respond(x, 200, "{\"object\":\"list\",\"data\":[{\"id\":\"stand-in\",\"object\":\"model\"}]}");
            }
        });
        server.createContext("/v1/chat/completions", this::chat);
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private static boolean authorized(HttpExchange x) throws IOException {
        if (!"Bearer sk-bench".equals(x.getRequestHeaders().getFirst("Authorization"))) {
            respond(x, 401, "{\"error\":{\"message\":\"bad key\",\"type\":\"invalid_request_error\"}}");
            return false;
        }
        return true;
    }

    private static void respond(HttpExchange x, int status, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        x.getResponseHeaders().set("Content-Type", "application/json");
        x.sendResponseHeaders(status, b.length);
        try (OutputStream out = x.getResponseBody()) {
            out.write(b);
        }
    }

    /**
     * Streams max_tokens one-token chunks 2 ms apart, the last one after a 300 ms pause (so a client that waited for
     * the whole body would see its first token late), the usage chunk and [DONE], as vLLM does.
     */
    private void chat(HttpExchange x) throws IOException {
        if (!authorized(x)) {
            return;
        }
        JsonNode body = Json.MAPPER.readTree(x.getRequestBody());
        bodies.add(body);
        if (refuseIgnoreEos && body.has("ignore_eos")) {
            respond(x, 400, "{\"error\":{\"message\":\"Unrecognized request argument supplied: ignore_eos\"}}");
            return;
        }
        int now = inFlight.incrementAndGet();
        peak.accumulateAndGet(now, Math::max);
        try {
            x.getResponseHeaders().set("Content-Type", "text/event-stream");
            x.sendResponseHeaders(200, 0);
            try (OutputStream out = x.getResponseBody()) {
                String head = "{\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"stand-in\",";
                send(out, head + "\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}");
                int n = body.get("max_tokens").asInt();
                for (int i = 0; i < n; i++) {
                    sleep(i == n - 1 ? 300 : 2);
                    send(out, head + "\"choices\":[{\"index\":0,\"delta\":{\"content\":\" w" + i + "\"},\"finish_reason\":"
                            + (i == n - 1 ? "\"length\"" : "null") + "}]}");
                }
                send(out, head + "\"choices\":[],\"usage\":{\"prompt_tokens\":30,\"completion_tokens\":" + n
                        + ",\"total_tokens\":" + (30 + n) + "}}");
                send(out, "[DONE]");
            }
        } finally {
            inFlight.decrementAndGet();
        }
    }

    private static void send(OutputStream out, String data) throws IOException {
        out.write(("data: " + data + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private CliProcess bench(String... extra) {
        List<String> args = new java.util.ArrayList<>(List.of("bench", "serve", "--url",
                "http://127.0.0.1:" + server.getAddress().getPort() + "/v1/", "--api-key", "sk-bench",
                "--concurrency", "1,3", "--max-tokens", "5", "--prompt-tokens", "20", "--requests-per-stream", "2"));
        args.addAll(List.of(extra));
        return CliProcess.run(home, args.toArray(String[]::new));
    }

    @Test
    void streamsConcurrentGreedyRequestsAndReportsEachLevel() throws Exception {
        CliProcess r = bench("--json");
        assertEquals(0, r.exitCode(), r.errors());
        List<String> lines = r.stdout().lines().toList();
        assertEquals(2, lines.size(), r.stdout());
        for (int i = 0; i < 2; i++) {
            JsonNode j = Json.MAPPER.readTree(lines.get(i));
            int c = i == 0 ? 1 : 3;
            assertEquals("stand-in", j.get("model").asText());
            assertEquals(c, j.get("concurrency").asInt());
            assertEquals(2 * c, j.get("requests").asInt());
            assertEquals(5L * 2 * c, j.get("completion_tokens").asLong());
            assertEquals(30, j.get("prompt_tokens").asInt());
            // the first token comes 2 ms in, the last 300 ms later: timed as they arrive, not when the body ends
            assertTrue(j.get("ttft_p50_ms").asDouble() >= 2, j::toString);
            assertTrue(j.get("ttft_p99_ms").asDouble() < 300, j::toString);
            assertTrue(j.get("ttft_p99_ms").asDouble() >= j.get("ttft_p50_ms").asDouble(), j::toString);
            assertTrue(j.get("wall_s").asDouble() >= 2 * 0.3, j::toString);
            assertTrue(j.get("itl_p50_ms").isNumber(), j::toString);
            assertTrue(j.get("aggregate_tps").asDouble() > 0 && j.get("stream_tps_p50").asDouble() > 0, j::toString);
        }
        assertEquals(3, peak.get(), "3 streams in flight at once");
        // probe + warm-up (3 streams) + 2 + 6 requests
        assertEquals(1 + 3 + 2 + 6, bodies.size());
        JsonNode body = bodies.getLast();
        assertTrue(body.get("stream").asBoolean());
        assertTrue(body.get("stream_options").get("include_usage").asBoolean());
        assertEquals(0, body.get("temperature").asDouble());
        assertTrue(body.get("ignore_eos").asBoolean());
        assertFalse(body.get("chat_template_kwargs").get("enable_thinking").asBoolean());
        assertEquals("stand-in", body.get("model").asText());
        String prompt = body.get("messages").get(0).get("content").asText();
        int tokens = io.moemesh.core.tokenizer.Tokenizer.embeddedQwen3().encode(prompt).length;
        assertTrue(tokens >= 18 && tokens <= 22, "about 20 tokens: " + tokens + " in '" + prompt + "'");
        assertNotEquals(prompt, bodies.get(bodies.size() - 2).get("messages").get(0).get("content").asText(),
                "every request has its own prompt");
    }

    @Test
    void dropsIgnoreEosWhenTheServerRefusesItAndPrintsATable() {
        refuseIgnoreEos = true;
        CliProcess r = bench();
        assertEquals(0, r.exitCode(), r.errors());
        assertTrue(r.stderr().contains("refused ignore_eos"), r.stderr());
        assertFalse(bodies.getLast().has("ignore_eos"));
        List<String> lines = r.stdout().lines().toList();
        assertTrue(lines.get(0).contains("TTFT p50 ms"), r.stdout());
        assertTrue(lines.get(1).strip().startsWith("1 "), r.stdout());
        assertTrue(lines.get(2).strip().startsWith("3 "), r.stdout());
        assertTrue(r.stdout().contains("until max_tokens or end-of-sequence"), r.stdout());
    }

    @Test
    void aWrongKeyIsOneLine() {
        CliProcess r = CliProcess.run(home, "bench", "serve", "--url", "http://127.0.0.1:" + server.getAddress().getPort(),
                "--api-key", "wrong");
        assertEquals(1, r.exitCode());
        assertTrue(r.errors().strip().startsWith("error: GET http://127.0.0.1:") && r.errors().contains("answered 401"), r.stderr());
    }
}

package io.moemesh.cli;

import io.moemesh.core.ReferenceFixture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * `./moe-mesh serve` as a user runs it: the gateway in the foreground as a child JVM, one ready line naming where it
 * serves, the OpenAI model listing, the API key, gRPC on the HTTP port or its own, and SIGTERM stopping the child.
 */
class ServeIT {
    @TempDir
    Path home;

    private final HttpClient http = HttpClient.newHttpClient();

    /** A running `serve` and the ready line it printed. */
    private record Served(Process process, String readyLine) implements AutoCloseable {
        @Override
        public void close() throws InterruptedException {
            process.destroy();   // SIGTERM, as a service manager stops it
            assertTrue(process.waitFor(60, TimeUnit.SECONDS), "serve stops on SIGTERM");
            process.destroyForcibly();
        }
    }

    private final Path model = ReferenceFixture.modelDir("tiny-qwen3-moe");

    private Served serve(Map<String, String> env, String... args) throws IOException {
        Path root = Path.of("").toAbsolutePath().getParent();
        List<String> command = new ArrayList<>(List.of(root.resolve("moe-mesh").toString(), "serve",
                "--model", model.toString(), "--host", "127.0.0.1"));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).directory(root.toFile()).redirectError(home.resolve("serve.err").toFile());
        pb.environment().put("MOEMESH_HOME", home.toString());
        pb.environment().put("MOEMESH_NO_BUILD", "1");
        pb.environment().remove("MOEMESH_API_KEY");
        pb.environment().putAll(env);
        Process p = pb.start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        StringBuilder seen = new StringBuilder();
        for (String line; (line = out.readLine()) != null; ) {   // the gateway's own log comes first, on the same stdout
            if (line.startsWith("ready: ")) {
                // keep draining stdout, or a chatty gateway would block on a full pipe
                Thread.ofVirtual().start(() -> {
                    try {
                        out.transferTo(java.io.Writer.nullWriter());
                    } catch (java.io.IOException closed) {
                        // the test destroyed the process and closed its stdout: nothing is left to drain
                    }
                });
                return new Served(p, line);
            }
            seen.append(line).append('\n');
        }
        p.destroyForcibly();
        fail("serve printed no ready line:\n" + seen + Files.readString(home.resolve("serve.err")));
        return null;
    }

    private HttpResponse<String> get(int port, String path, String authorization) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(30));
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void servesTheModelWithGrpcOnTheHttpPortAndStopsTheGatewayWithIt() throws Exception {
        int port = MeshProcess.freePort();
        try (Served s = serve(Map.of(), "--port", Integer.toString(port))) {
            String id = model.getFileName().toString();   // the model id defaults to the directory's name
            assertEquals("ready: http://127.0.0.1:" + port + "/v1 (model " + id + "), gRPC on 127.0.0.1:" + port, s.readyLine());
            HttpResponse<String> models = get(port, "/v1/models", null);
            assertEquals(200, models.statusCode(), models.body());
            assertEquals(id, Json.MAPPER.readTree(models.body()).path("data").path(0).path("id").asText(), models.body());
            try (GatewayClient grpc = new GatewayClient("127.0.0.1:" + port)) {
                assertEquals(id, grpc.modelId());
            }
        }
        // the gateway JVM went with it
        assertThrows(IOException.class, () -> get(port, "/q/health/ready", null));
    }

    @Test
    void anApiKeyGuardsV1AndGrpcCanHaveItsOwnPort() throws Exception {
        int port = MeshProcess.freePort(), grpcPort = MeshProcess.freePort();
        // the key from the environment, as a deployment would pass a secret
        try (Served s = serve(Map.of("MOEMESH_API_KEY", "sk-test-key"), "--port", Integer.toString(port),
                "--grpc-port", Integer.toString(grpcPort), "--model-id", "tiny")) {
            assertEquals("ready: http://127.0.0.1:" + port + "/v1 (model tiny), gRPC on 127.0.0.1:" + grpcPort, s.readyLine());
            try (GatewayClient grpc = new GatewayClient("127.0.0.1:" + grpcPort)) {
                assertEquals("tiny", grpc.modelId());
            }
            assertEquals(401, get(port, "/v1/models", null).statusCode(), "no Authorization header");
            assertEquals(401, get(port, "/v1/models", "Bearer wrong-key").statusCode(), "a wrong key");
            HttpResponse<String> models = get(port, "/v1/models", "Bearer sk-test-key");
            assertEquals(200, models.statusCode(), models.body());
            assertEquals("tiny", Json.MAPPER.readTree(models.body()).path("data").path(0).path("id").asText(), models.body());
            assertEquals(200, get(port, "/q/health/ready", null).statusCode(), "health stays open: it is not under /v1");
        }
    }

    @Test
    void whileTheWeightsLoadTheApiAnswers503AndReadinessIsDown() throws Exception {
        // The embedded model with every role quantized to q4 at load: long enough (about a second and a half here)
        // to watch the server answer while it loads.
        Path embedded = io.moemesh.core.embedded.EmbeddedModel.ensure(line -> { });
        int port = MeshProcess.freePort();
        Path root = Path.of("").toAbsolutePath().getParent();
        ProcessBuilder pb = new ProcessBuilder(root.resolve("moe-mesh").toString(), "serve", "--model", embedded.toString(),
                "--host", "127.0.0.1", "--port", String.valueOf(port), "--weights", "q4")
                .directory(root.toFile()).redirectErrorStream(true).redirectOutput(home.resolve("serve.log").toFile());
        pb.environment().put("MOEMESH_HOME", home.toString());
        pb.environment().put("MOEMESH_NO_BUILD", "1");
        Process p = pb.start();
        try {
            HttpRequest chat = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/chat/completions"))
                    .header("Content-Type", "application/json").timeout(Duration.ofSeconds(30))
                    .POST(HttpRequest.BodyPublishers.ofString(
                            "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"max_tokens\": 2}")).build();
            String loading = null;
            int readinessDown = 0;
            long deadline = System.nanoTime() + 120_000_000_000L;
            while (System.nanoTime() < deadline) {
                HttpResponse<String> ready;
                try {
                    ready = get(port, "/q/health/ready", null);
                } catch (IOException notListeningYet) {
                    Thread.sleep(5);
                    continue;
                }
                if (ready.statusCode() == 200) {
                    break;
                }
                assertEquals(503, ready.statusCode(), ready.body());
                readinessDown++;
                HttpResponse<String> answer = http.send(chat, HttpResponse.BodyHandlers.ofString());
                if (answer.statusCode() == 503) {
                    loading = answer.body();
                }
            }
            assertTrue(readinessDown > 0, "the server was never seen loading: " + Files.readString(home.resolve("serve.log")));
            assertNotNull(loading, "no 503 while loading");
            assertTrue(loading.contains("\"code\":\"model_loading\"") && loading.contains("still loading"), loading);
            assertEquals(200, http.send(chat, HttpResponse.BodyHandlers.ofString()).statusCode(), "served once loaded");
            assertTrue(Files.readString(home.resolve("serve.log")).contains("ready: serving"), "the gateway logs when it is ready");
        } finally {
            p.destroy();
            p.waitFor(60, TimeUnit.SECONDS);
            p.destroyForcibly();
        }
    }
}

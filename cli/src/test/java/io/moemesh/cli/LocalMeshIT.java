package io.moemesh.cli;

import io.moemesh.core.ReferenceFixture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/** `./moe-mesh local-mesh` starts the whole mesh as processes, serves, and stops everything on SIGTERM (Ctrl-C). */
class LocalMeshIT {
    @TempDir
    Path home;

    @Test
    void startsServesAndStopsTheMesh() throws Exception {
        Path root = Path.of("").toAbsolutePath().getParent();
        int port = MeshProcess.freePort();
        ProcessBuilder pb = new ProcessBuilder(root.resolve("moe-mesh").toString(), "local-mesh",
                "--model", ReferenceFixture.modelDir("tiny-qwen3-moe").toString(),
                "--expert-services", "3", "--replicas", "2", "--port", Integer.toString(port)).directory(root.toFile())
                .redirectError(home.resolve("local-mesh.err").toFile());
        pb.environment().put("MOEMESH_HOME", home.toString());
        pb.environment().put("MOEMESH_NO_BUILD", "1");
        Process mesh = pb.start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(mesh.getInputStream(), StandardCharsets.UTF_8))) {
            String line = out.readLine();
            assertNotNull(line, "local-mesh exited early: " + java.nio.file.Files.readString(home.resolve("local-mesh.err")));
            assertTrue(line.startsWith("mesh ready: gateway on http://127.0.0.1:" + port), line);
            HttpClient http = HttpClient.newHttpClient();
            var ready = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/q/health/ready")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, ready.statusCode(), ready.body());
            var models = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/models")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, models.statusCode());
            String err = java.nio.file.Files.readString(home.resolve("local-mesh.err"));
            for (String role : new String[]{"expert-0", "expert-1", "expert-2", "attention", "router"}) {
                assertTrue(err.contains(role), "reports " + role + ":\n" + err);
            }
            mesh.destroy();   // SIGTERM, as Ctrl-C
            assertTrue(mesh.waitFor(60, TimeUnit.SECONDS), "local-mesh stops");
            // the gateway (and with it every child) is gone
            assertThrows(java.io.IOException.class, () -> http.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + port + "/q/health/ready")).timeout(Duration.ofSeconds(2)).build(),
                    HttpResponse.BodyHandlers.discarding()));
        } finally {
            mesh.destroyForcibly();
        }
    }
}

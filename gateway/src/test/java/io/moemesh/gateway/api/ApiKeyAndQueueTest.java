package io.moemesh.gateway.api;

import io.moemesh.gateway.ModelLoaded;
import io.moemesh.gateway.engine.GatewayEngine;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.*;

/** vLLM's --api-key behaviour, and a full queue answered 429 without disturbing the running request. */
@QuarkusTest
@TestProfile(LimitedGatewayProfile.class)
class ApiKeyAndQueueTest {
    private static final String LONG_STREAM = "{\"messages\": [{\"role\": \"user\", \"content\": \"go\"}], "
            + "\"stream\": true, \"max_tokens\": 20000, \"ignore_eos\": true}";

    @Inject
    GatewayEngine engine;

    @TestHTTPResource("/v1/chat/completions")
    URL chat;

    @BeforeEach
    void loaded() {
        ModelLoaded.await();
    }

    @Test
    void everyV1CallNeedsTheKeyAndHealthDoesNot() {
        given().when().get("/v1/models").then().statusCode(401)
                .body("error.code", is("invalid_api_key")).body("error.message", containsString("Missing API key"));
        given().header("Authorization", "Bearer wrong").when().get("/v1/models").then().statusCode(401)
                .body("error.message", containsString("Incorrect API key"));
        given().contentType("application/json").body("{}").when().post("/v1/chat/completions").then().statusCode(401);
        given().header("Authorization", "Bearer " + LimitedGatewayProfile.KEY).when().get("/v1/models").then()
                .statusCode(200).body("data[0].id", is(EmbeddedModelProfile.MODEL_ID));
        given().when().get("/q/health/ready").then().statusCode(200);
    }

    private HttpResponse<InputStream> open(HttpClient http) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(chat.toString()))
                .header("Authorization", "Bearer " + LimitedGatewayProfile.KEY)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(LONG_STREAM)).build(), HttpResponse.BodyHandlers.ofInputStream());
    }

    @Test
    void beyondTheQueueARequestIs429AndTheOthersRunOn() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<InputStream> running = open(http);
        assertEquals(200, running.statusCode());
        running.body().readNBytes(64); // it has a place in the batch of one
        HttpResponse<InputStream> waiting = open(http);
        assertEquals(200, waiting.statusCode(), "one request may wait");
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (engine.scheduler().queued() < 1 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        given().header("Authorization", "Bearer " + LimitedGatewayProfile.KEY).contentType("application/json")
                .body("{\"messages\": [{\"role\": \"user\", \"content\": \"me too\"}], \"max_tokens\": 2}")
                .when().post("/v1/chat/completions").then().statusCode(429)
                .body("error.code", is("queue_full"));
        byte[] more = running.body().readNBytes(64);
        assertEquals(64, more.length, "the running stream goes on");
        running.body().close();
        waiting.body().close();
        deadline = System.nanoTime() + 10_000_000_000L;
        while ((engine.scheduler().running() > 0 || engine.scheduler().queued() > 0) && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(0, engine.scheduler().running() + engine.scheduler().queued());
    }
}

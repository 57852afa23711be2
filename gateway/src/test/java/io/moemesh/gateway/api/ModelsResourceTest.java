package io.moemesh.gateway.api;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.nullValue;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import org.junit.jupiter.api.Test;

@QuarkusTest
@io.quarkus.test.common.WithTestResource(io.moemesh.gateway.FixtureModel.class)
class ModelsResourceTest {

    @Test
    void listsTheConfiguredModelTheOpenAiWay() {
        given().when().get("/v1/models").then()
                .statusCode(200)
                .contentType(ContentType.JSON)
                .body("object", is("list"))
                .body("data.id", contains("test-qwen3-moe")) // %test.moemesh.gateway.model-id
                .body("data.object", contains("model"))
                .body("data.owned_by", contains("moe-mesh"));
    }

    @Test
    void unknownRouteUnderV1IsAnOpenAiError() {
        given().when().post("/v1/no-such-endpoint").then()
                .statusCode(404)
                .contentType(ContentType.JSON)
                .body("error.message", is("Invalid URL (POST /v1/no-such-endpoint)"))
                .body("error.type", is("invalid_request_error"))
                .body("error.param", nullValue())
                .body("error.code", is("unknown_url"));
    }
}

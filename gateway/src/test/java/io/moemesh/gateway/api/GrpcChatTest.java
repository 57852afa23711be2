package io.moemesh.gateway.api;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.moemesh.core.engine.ThinkingBudget;
import io.moemesh.gateway.ModelLoaded;
import io.moemesh.proto.gateway.v1.ChatMessage;
import io.moemesh.proto.gateway.v1.GatewayService;
import io.moemesh.proto.gateway.v1.GenerateRequest;
import io.moemesh.proto.gateway.v1.GenerateResponse;
import io.moemesh.proto.gateway.v1.Sampling;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.*;

/** The gRPC Generate call's chat form: the HTTP API's parameters, checks and reasoning/content/tool-call split. */
@QuarkusTest
@TestProfile(EmbeddedModelProfile.class)
class GrpcChatTest {
    @GrpcClient
    GatewayService gateway;

    @BeforeEach
    void loaded() {
        ModelLoaded.await();
    }

    private List<GenerateResponse> generate(GenerateRequest request) {
        return gateway.generate(request).collect().asList().await().atMost(Duration.ofSeconds(60));
    }

    private static GenerateRequest.Builder ask(String question) {
        return GenerateRequest.newBuilder().addMessages(ChatMessage.newBuilder().setRole("user").setContent(question))
                .setMaxNewTokens(40).setSampling(Sampling.newBuilder().setSeed(21));
    }

    @Test
    void aThinkingBudgetSplitsTheSameAsOverHttp() {
        GenerateRequest request = ask("Prove it")
                .addMessages(ChatMessage.newBuilder().setRole("assistant").setContent("<think>\n").setPrefix(true))
                .setThinkingBudget(5).build();
        List<GenerateResponse> messages = generate(request);
        StringBuilder reasoning = new StringBuilder(), content = new StringBuilder();
        messages.forEach(m -> {
            reasoning.append(m.getReasoning());
            content.append(m.getContent());
        });
        assertTrue(reasoning.toString().endsWith(ThinkingBudget.CLOSING_TEXT.substring(0,
                ThinkingBudget.CLOSING_TEXT.indexOf("</think>"))), reasoning.toString());
        GenerateResponse last = messages.getLast();
        assertTrue(last.hasUsage());
        assertEquals(40, last.getUsage().getCompletionTokens());
        assertEquals("length", messages.get(messages.size() - 2).getFinishReason());

        var http = given().contentType("application/json").body("{\"messages\": [{\"role\": \"user\", \"content\": \"Prove it\"},"
                        + " {\"role\": \"assistant\", \"content\": \"<think>\\n\", \"prefix\": true}], \"max_tokens\": 40,"
                        + " \"seed\": 21, \"thinking_budget\": 5}")
                .when().post("/v1/chat/completions").then().statusCode(200).extract();
        assertEquals(http.path("choices[0].message.reasoning_content"), reasoning.toString());
        assertEquals(http.path("choices[0].message.content"), content.toString());
        assertEquals((Integer) http.path("usage.completion_tokens_details.reasoning_tokens"), last.getUsage().getReasoningTokens());
    }

    @Test
    void aToolCallComesBackAsAToolCall() {
        GenerateRequest request = ask("Weather?")
                .setToolsJson("[{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"parameters\": {}}}]")
                .addMessages(ChatMessage.newBuilder().setRole("assistant").setPrefix(true)
                        .setContent("<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Oslo\"}}\n"))
                .putLogitBias(151658, 100f).setMaxNewTokens(1).build();
        List<GenerateResponse> messages = generate(request);
        var calls = messages.stream().flatMap(m -> m.getToolCallsList().stream()).toList();
        assertEquals(1, calls.size());
        assertEquals("get_weather", calls.getFirst().getName());
        assertEquals("{\"city\":\"Oslo\"}", calls.getFirst().getArgumentsJson());
        assertTrue(messages.stream().anyMatch(m -> m.getFinishReason().equals("tool_calls")));
    }

    @Test
    void badChatRequestsGetTheGrpcCodeOfTheirHttpStatus() {
        var bad = assertThrows(StatusRuntimeException.class, () -> generate(ask("x")
                .setSampling(Sampling.newBuilder().setTemperature(9)).build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, bad.getStatus().getCode());
        assertTrue(bad.getStatus().getDescription().contains("temperature"), bad.getStatus().getDescription());
        var model = assertThrows(StatusRuntimeException.class, () -> generate(ask("x").setModel("gpt-4o").build()));
        assertEquals(Status.Code.NOT_FOUND, model.getStatus().getCode());
    }
}

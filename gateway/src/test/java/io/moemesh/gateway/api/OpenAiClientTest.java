package io.moemesh.gateway.api;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.core.http.StreamResponse;
import com.openai.models.FunctionDefinition;
import com.openai.models.FunctionParameters;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionAssistantMessageParam;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionMessageFunctionToolCall;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.chat.completions.ChatCompletionToolMessageParam;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionCreateParams;
import io.moemesh.core.chat.ChatTemplate;
import io.moemesh.core.engine.ThinkingBudget;
import io.moemesh.core.tokenizer.Tokenizer;
import io.moemesh.gateway.ModelLoaded;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The gateway through the official OpenAI Java SDK (com.openai:openai-java, written by OpenAI, not here): what an
 * application built on that client sees. The model is the embedded one (random weights), so texts are gibberish;
 * what is checked is how they are split, stopped, counted and reproduced.
 */
@QuarkusTest
@TestProfile(EmbeddedModelProfile.class)
class OpenAiClientTest {
    private static final Tokenizer TOKENIZER = Tokenizer.embeddedQwen3();
    private static final ChatTemplate TEMPLATE = ChatTemplate.embeddedQwen3();
    private static final String WEATHER_CALL = "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n";

    @TestHTTPResource("/v1")
    URL v1;

    private OpenAIClient client;

    @BeforeEach
    void connect() {
        ModelLoaded.await();
        client = OpenAIOkHttpClient.builder().baseUrl(v1.toString()).apiKey("unused").maxRetries(0).build();
    }

    private ChatCompletionCreateParams.Builder ask(String question) {
        return ChatCompletionCreateParams.builder().model(EmbeddedModelProfile.MODEL_ID).addUserMessage(question);
    }

    /** The prompt the gateway should have built, rendered and counted independently here. */
    private static int promptTokens(List<Map<String, Object>> messages, List<Map<String, Object>> tools, Boolean thinking) {
        Map<String, Object> context = new LinkedHashMap<>();
        context.put("messages", messages);
        context.put("tools", tools);
        context.put("add_generation_prompt", true);
        if (thinking != null) {
            context.put("enable_thinking", thinking);
        }
        return TOKENIZER.encode(TEMPLATE.render(context)).length;
    }

    private static String reasoning(ChatCompletion c) {
        JsonValue v = c.choices().getFirst().message()._additionalProperties().get("reasoning_content");
        return v == null || v.isNull() ? "" : v.asStringOrThrow();
    }

    /** Everything a stream said, put together as a client would. */
    private record Streamed(String reasoning, String content, List<String> finishReasons, Long completionTokens,
                            List<ChatCompletionChunk.Choice.Delta.ToolCall> toolCalls) {
    }

    private Streamed stream(ChatCompletionCreateParams params) {
        StringBuilder reasoning = new StringBuilder(), content = new StringBuilder();
        List<String> finish = new ArrayList<>();
        List<ChatCompletionChunk.Choice.Delta.ToolCall> calls = new ArrayList<>();
        Long[] usage = {null};
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(params)) {
            stream.stream().forEach(chunk -> {
                chunk.usage().ifPresent(u -> usage[0] = u.completionTokens());
                for (ChatCompletionChunk.Choice choice : chunk.choices()) {
                    choice.delta().content().ifPresent(content::append);
                    JsonValue r = choice.delta()._additionalProperties().get("reasoning_content");
                    if (r != null && !r.isNull()) {
                        reasoning.append(r.asStringOrThrow());
                    }
                    choice.delta().toolCalls().ifPresent(calls::addAll);
                    choice.finishReason().ifPresent(f -> finish.add(f.asString()));
                }
            });
        }
        return new Streamed(reasoning.toString(), content.toString(), finish, usage[0], calls);
    }

    @Test
    void nonStreamingAnswersWithTheTemplatedPromptCounted() {
        ChatCompletion c = client.chat().completions().create(ask("What is 2+2?").maxCompletionTokens(8).seed(7).build());
        assertEquals(1, c.choices().size());
        assertEquals(EmbeddedModelProfile.MODEL_ID, c.model());
        assertFalse(c.choices().getFirst().message().content().orElse("").isEmpty());
        assertEquals("length", c.choices().getFirst().finishReason().asString());
        var usage = c.usage().orElseThrow();
        assertEquals(promptTokens(List.of(Map.of("role", "user", "content", "What is 2+2?")), null, null), usage.promptTokens());
        assertEquals(8, usage.completionTokens());
        assertEquals(usage.promptTokens() + 8, usage.totalTokens());
    }

    @Test
    void streamingGivesTheSameTextAsNonStreamingForTheSameSeed() {
        ChatCompletionCreateParams params = ask("Tell me a story").maxCompletionTokens(12).seed(11).build();
        ChatCompletion whole = client.chat().completions().create(params);
        Streamed streamed = stream(params.toBuilder()
                .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build());
        assertEquals(whole.choices().getFirst().message().content().orElse(""), streamed.content());
        assertEquals(reasoning(whole), streamed.reasoning());
        assertEquals(List.of("length"), streamed.finishReasons());
        assertEquals(12L, streamed.completionTokens(), "usage chunk");
    }

    @Test
    void aSeedReproducesAndNGivesChoicesSeededOneApart() {
        ChatCompletionCreateParams params = ask("Pick a word").maxCompletionTokens(6).seed(5).temperature(1.0).build();
        String first = client.chat().completions().create(params).choices().getFirst().message().content().orElseThrow();
        String again = client.chat().completions().create(params).choices().getFirst().message().content().orElseThrow();
        assertEquals(first, again);

        ChatCompletion two = client.chat().completions().create(params.toBuilder().n(2).build());
        assertEquals(2, two.choices().size());
        assertEquals(0, two.choices().get(0).index());
        assertEquals(1, two.choices().get(1).index());
        assertEquals(first, two.choices().get(0).message().content().orElseThrow(), "choice 0 uses the seed itself");
        String seed6 = client.chat().completions().create(params.toBuilder().seed(6).build())
                .choices().getFirst().message().content().orElseThrow();
        assertEquals(seed6, two.choices().get(1).message().content().orElseThrow(), "choice 1 uses seed + 1");
        assertNotEquals(two.choices().get(0).message().content(), two.choices().get(1).message().content());
        assertEquals(12, two.usage().orElseThrow().completionTokens(), "completion tokens of both choices");
    }

    @Test
    void withoutThinkingThePromptHasTheEmptyThinkBlockAndNothingIsReasoning() {
        ChatCompletion c = client.chat().completions().create(ask("Hi").maxCompletionTokens(6).seed(3)
                .putAdditionalBodyProperty("chat_template_kwargs", JsonValue.from(Map.of("enable_thinking", false)))
                .build());
        List<Map<String, Object>> messages = List.of(Map.of("role", "user", "content", "Hi"));
        int expected = promptTokens(messages, null, false);
        assertEquals(expected, c.usage().orElseThrow().promptTokens());
        assertNotEquals(promptTokens(messages, null, null), expected, "the empty think block is part of the prompt");
        assertEquals("", reasoning(c));
        assertEquals(0, c.usage().orElseThrow().completionTokensDetails().orElseThrow().reasoningTokens().orElseThrow());
    }

    @Test
    void aThinkingBudgetOfFiveClosesTheReasoningAfterFiveTokensWithTheReportsText() {
        ChatCompletion c = client.chat().completions().create(ask("Prove it").maxCompletionTokens(60).seed(21)
                .addMessage(ChatCompletionAssistantMessageParam.builder().content("<think>\n")
                        .putAdditionalProperty("prefix", JsonValue.from(true)).build())
                .putAdditionalBodyProperty("thinking_budget", JsonValue.from(5))
                .logprobs(true).build());
        var tokens = c.choices().getFirst().logprobs().orElseThrow().content().orElseThrow();
        ByteArrayOutputStream firstFive = new ByteArrayOutputStream();
        for (int i = 0; i < 5; i++) {
            tokens.get(i).bytes().orElseThrow().forEach(b -> firstFive.write(b.intValue()));
        }
        String closing = ThinkingBudget.CLOSING_TEXT;
        String beforeClose = closing.substring(0, closing.indexOf("</think>"));
        assertEquals(firstFive.toString(StandardCharsets.UTF_8) + beforeClose, reasoning(c));
        String content = c.choices().getFirst().message().content().orElseThrow();
        assertTrue(content.startsWith(".\n\n") && content.length() > 3, "the answer follows the forced text: " + content);
        int closingTokens = TOKENIZER.encode(closing.substring(0, closing.indexOf("</think>") + "</think>".length())).length;
        assertEquals(5 + closingTokens,
                c.usage().orElseThrow().completionTokensDetails().orElseThrow().reasoningTokens().orElseThrow());

        Streamed streamed = stream(ask("Prove it").maxCompletionTokens(60).seed(21)
                .addMessage(ChatCompletionAssistantMessageParam.builder().content("<think>\n")
                        .putAdditionalProperty("prefix", JsonValue.from(true)).build())
                .putAdditionalBodyProperty("thinking_budget", JsonValue.from(5)).build());
        assertEquals(reasoning(c), streamed.reasoning(), "every streamed delta splits the same way");
        assertEquals(content, streamed.content());
    }

    @Test
    void aStopStringEndsTheAnswerBeforeItEvenAcrossStreamedDeltas() {
        ChatCompletionCreateParams params = ask("Count").maxCompletionTokens(24).seed(9).build();
        String full = client.chat().completions().create(params).choices().getFirst().message().content().orElseThrow();
        assertTrue(full.length() > 12, full);
        // A stop that starts inside one token and ends inside another.
        String stop = full.substring(full.length() / 2 - 2, full.length() / 2 + 3);
        String expected = full.substring(0, full.indexOf(stop));
        ChatCompletionCreateParams stopped = params.toBuilder().stop(stop).build();
        ChatCompletion c = client.chat().completions().create(stopped);
        assertEquals(expected, c.choices().getFirst().message().content().orElseThrow());
        assertEquals("stop", c.choices().getFirst().finishReason().asString());
        Streamed streamed = stream(stopped);
        assertEquals(expected, streamed.content());
        assertEquals(List.of("stop"), streamed.finishReasons());
    }

    @Test
    void toolsRoundTrip() {
        FunctionDefinition weather = FunctionDefinition.builder().name("get_weather").description("Weather in a city")
                .parameters(FunctionParameters.builder()
                        .putAdditionalProperty("type", JsonValue.from("object"))
                        .putAdditionalProperty("properties", JsonValue.from(Map.of("city", Map.of("type", "string"))))
                        .build())
                .build();
        // The random model would never call a tool: the client starts the call in a prefill and the bias makes the
        // model close it (151658 is </tool_call>), so the call that comes back is parsed from the model's own output.
        ChatCompletionCreateParams.Builder call = ask("Weather in Paris?").addFunctionTool(weather).maxCompletionTokens(1)
                .addMessage(ChatCompletionAssistantMessageParam.builder().content(WEATHER_CALL)
                        .putAdditionalProperty("prefix", JsonValue.from(true)).build())
                .putAdditionalBodyProperty("logit_bias", JsonValue.from(Map.of("151658", 100)));
        ChatCompletion c = client.chat().completions().create(call.build());
        var choice = c.choices().getFirst();
        assertEquals("tool_calls", choice.finishReason().asString());
        ChatCompletionMessageFunctionToolCall toolCall = choice.message().toolCalls().orElseThrow().getFirst().asFunction();
        assertEquals("get_weather", toolCall.function().name());
        assertEquals("{\"city\":\"Paris\"}", toolCall.function().arguments());
        assertTrue(toolCall.id().startsWith("call_"));

        Streamed streamed = stream(call.build());
        assertEquals(List.of("tool_calls"), streamed.finishReasons());
        assertEquals(1, streamed.toolCalls().size());
        assertEquals("get_weather", streamed.toolCalls().getFirst().function().orElseThrow().name().orElseThrow());
        assertEquals("{\"city\":\"Paris\"}", streamed.toolCalls().getFirst().function().orElseThrow().arguments().orElseThrow());

        // The result goes back in through the template as a tool response.
        ChatCompletion answer = client.chat().completions().create(ask("Weather in Paris?").addFunctionTool(weather)
                .addMessage(choice.message())
                .addMessage(ChatCompletionToolMessageParam.builder().toolCallId(toolCall.id()).content("{\"celsius\": 21}").build())
                .maxCompletionTokens(4).seed(1).build());
        assertEquals(4, answer.usage().orElseThrow().completionTokens());
        // Ordered as the SDK sends the tool: the template renders it with tojson, and Map.of's iteration order
        // changes from one JVM to the next (which once shifted the count by a token).
        Map<String, Object> parameters = new LinkedHashMap<>();
        parameters.put("type", "object");
        parameters.put("properties", Map.of("city", Map.of("type", "string")));
        Map<String, Object> function = new LinkedHashMap<>();
        function.put("name", "get_weather");
        function.put("description", "Weather in a city");
        function.put("parameters", parameters);
        Map<String, Object> tool = new LinkedHashMap<>();   // the SDK writes "function" before "type"
        tool.put("function", function);
        tool.put("type", "function");
        List<Map<String, Object>> conversation = List.of(
                Map.of("role", "user", "content", "Weather in Paris?"),
                Map.of("role", "assistant", "content", "", "tool_calls", List.of(Map.of("id", toolCall.id(),
                        "type", "function", "function", Map.of("name", "get_weather", "arguments", "{\"city\":\"Paris\"}")))),
                Map.of("role", "tool", "tool_call_id", toolCall.id(), "content", "{\"celsius\": 21}"));
        Map<String, Object> context = new LinkedHashMap<>(Map.of("messages", conversation, "tools", List.of(tool),
                "add_generation_prompt", true));
        String rendered = TEMPLATE.render(context);
        assertTrue(rendered.contains("<tool_response>\n{\"celsius\": 21}\n</tool_response>"), rendered);
        assertEquals(TOKENIZER.encode(rendered).length, answer.usage().orElseThrow().promptTokens());
    }

    @Test
    void completionsContinueARawPrompt() {
        CompletionCreateParams params = CompletionCreateParams.builder().model(EmbeddedModelProfile.MODEL_ID)
                .prompt("The capital of France is").maxTokens(5).seed(2).build();
        Completion c = client.completions().create(params);
        assertEquals(1, c.choices().size());
        assertFalse(c.choices().getFirst().text().isEmpty());
        assertEquals(TOKENIZER.encode("The capital of France is").length, c.usage().orElseThrow().promptTokens());
        assertEquals(c.choices().getFirst().text(), client.completions().create(params).choices().getFirst().text());
    }
}

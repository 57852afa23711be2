package io.moemesh.core.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.net.URL;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The Qwen3 chat template from the bundled tokenizer_config.json must render every conversation in
 * the transformers reference exactly as {@code apply_chat_template(..., add_generation_prompt=True)}
 * did: default thinking, {@code enable_thinking=False}, multi-turn history whose thinking is dropped,
 * and tools with a call and a response.
 */
class ChatTemplateReferenceTest {

    private static final String REFERENCE = "/reference/tokenizer/qwen3-tokenizer-reference.json";
    private static final String CONFIG = "/io/moemesh/core/tokenizer/qwen3/tokenizer_config.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode reference() throws Exception {
        try (InputStream in = ChatTemplateReferenceTest.class.getResourceAsStream(REFERENCE)) {
            assertNotNull(in, REFERENCE + " is not on the test classpath");
            return JSON.readTree(in);
        }
    }

    private static ChatTemplate qwen3() throws Exception {
        URL url = ChatTemplateReferenceTest.class.getResource(CONFIG);
        assertNotNull(url, CONFIG + " is not on the classpath");
        return ChatTemplate.fromTokenizerConfig(Path.of(url.toURI()));
    }

    @TestFactory
    Stream<DynamicTest> everyReferencePromptIsReproducedExactly() throws Exception {
        JsonNode chat = reference().get("chat");
        assertNotNull(chat, "reference has no \"chat\" section");
        ChatTemplate template = qwen3();
        List<DynamicTest> tests = new ArrayList<>();
        chat.properties().forEach(entry -> tests.add(DynamicTest.dynamicTest(entry.getKey(), () -> {
            String input = JSON.writeValueAsString(entry.getValue().get("input"));
            String expected = entry.getValue().get("prompt").textValue();
            assertEquals(expected, template.render(ChatRequest.fromJson(input)));
        })));
        assertFalse(tests.isEmpty(), "reference has no chat cases");
        return tests.stream();
    }

    @Test
    void renderWithPlainMapMatchesRenderWithRequest() throws Exception {
        JsonNode chat = reference().get("chat");
        ChatTemplate template = qwen3();
        for (Map.Entry<String, JsonNode> entry : chat.properties()) {
            ChatRequest request = ChatRequest.fromJson(JSON.writeValueAsString(entry.getValue().get("input")));
            Map<String, Object> context = new java.util.HashMap<>();
            context.put("messages", request.messages());
            context.put("tools", request.tools());
            context.put("add_generation_prompt", true);
            context.put("eos_token", "<|im_end|>");
            if (request.enableThinking() != null) {
                context.put("enable_thinking", request.enableThinking());
            }
            assertEquals(entry.getValue().get("prompt").textValue(), template.render(context), entry.getKey());
        }
    }

    @Test
    void qwen3ConfigProvidesEosButNoBos() throws Exception {
        ChatTemplate template = qwen3();
        assertEquals("<|im_end|>", template.specialTokens().get("eos_token"));
        assertFalse(template.specialTokens().containsKey("bos_token"), "Qwen3's bos_token is null");
        assertTrue(template.source().contains("enable_thinking"));
    }
}

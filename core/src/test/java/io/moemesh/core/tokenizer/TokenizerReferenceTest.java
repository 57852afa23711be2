package io.moemesh.core.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Id-for-id agreement with HF {@code tokenizers} run on the very same tokenizer.json: the fixture
 * holds the ids and decoded text HF produced for assorted texts and for rendered chat prompts.
 */
class TokenizerReferenceTest {
    private static final String FIXTURE = "/reference/tokenizer/qwen3-tokenizer-reference.json";

    private static JsonNode fixture() throws IOException {
        try (InputStream in = TokenizerReferenceTest.class.getResourceAsStream(FIXTURE)) {
            if (in == null) {
                throw new IOException("missing test resource " + FIXTURE);
            }
            return new ObjectMapper().readTree(in);
        }
    }

    private static int[] ids(JsonNode array) {
        int[] ids = new int[array.size()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = array.get(i).asInt();
        }
        return ids;
    }

    private static String label(String text) {
        String s = text.replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t");
        return s.length() > 60 ? s.substring(0, 60) + "…" : s;
    }

    @TestFactory
    Stream<DynamicTest> encodingsMatchHf() throws IOException {
        Tokenizer tok = Tokenizer.embeddedQwen3();
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode e : fixture().get("encodings")) {
            String text = e.get("text").asText();
            int[] expected = ids(e.get("ids"));
            String decoded = e.get("decoded").asText();
            tests.add(DynamicTest.dynamicTest("encode \"" + label(text) + "\"", () -> {
                assertArrayEquals(expected, tok.encode(text), "ids for " + label(text));
                assertEquals(decoded, tok.decode(expected), "decode for " + label(text));
            }));
        }
        assertFalse(tests.isEmpty());
        return tests.stream();
    }

    @TestFactory
    Stream<DynamicTest> chatPromptsMatchHf() throws IOException {
        Tokenizer tok = Tokenizer.embeddedQwen3();
        List<DynamicTest> tests = new ArrayList<>();
        JsonNode chat = fixture().get("chat");
        for (Map.Entry<String, JsonNode> e : chat.properties()) {
            String prompt = e.getValue().get("prompt").asText();
            int[] expected = ids(e.getValue().get("ids"));
            tests.add(DynamicTest.dynamicTest("chat " + e.getKey(), () -> {
                assertArrayEquals(expected, tok.encode(prompt), "ids for chat " + e.getKey());
                assertEquals(prompt, tok.decode(expected), "decode for chat " + e.getKey());
            }));
        }
        assertFalse(tests.isEmpty());
        return tests.stream();
    }
}

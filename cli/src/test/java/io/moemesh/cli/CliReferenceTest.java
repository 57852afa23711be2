package io.moemesh.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.moemesh.core.ReferenceFixture;
import io.moemesh.core.weights.LoadMode;
import io.moemesh.core.weights.SafetensorsFile;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.*;

/** The `./moe-mesh` commands reproduce the reference fixtures, run in a separate JVM. */
class CliReferenceTest {
    static final java.util.List<String> MODELS = ReferenceFixture.MODELS;
    static final ObjectMapper JSON = new ObjectMapper();
    @TempDir
    static Path home;

    static String ids(int[] ids) {
        return Arrays.stream(ids).mapToObj(Integer::toString).collect(Collectors.joining(","));
    }

    @ParameterizedTest
    @FieldSource("MODELS")
    void forwardWritesTheReferenceTensors(String name) {
        ReferenceFixture ref = ReferenceFixture.load(name);
        Path out = home.resolve(name + "-forward.safetensors");
        CliProcess p = CliProcess.run(home, "forward", "--model", ref.dir().toString(),
                "--input-ids", ids(ref.i("input_ids")), "--output", out.toString());
        assertEquals(0, p.exitCode(), p.stderr());
        try (Arena arena = Arena.ofConfined(); SafetensorsFile f = SafetensorsFile.open(out, arena)) {
            int compared = 0;
            for (String tensor : ref.floats().keySet()) {
                if (tensor.equals("full_logits")) {
                    continue;
                }
                assertTrue(f.contains(tensor), name + ": forward output lacks " + tensor);
                float[] mine = f.tensor(tensor, LoadMode.MEMORY).toFloats();
                if (tensor.startsWith("topk_weights")) {
                    float[] expected = ref.f(tensor);
                    for (int i = 0; i < expected.length; i++) {
                        assertEquals(expected[i], mine[i], 1e-5, name + " " + tensor);
                    }
                } else {
                    double err = ReferenceFixture.relativeError(mine, ref.f(tensor));
                    assertTrue(err < 1e-4, name + " " + tensor + " relative error " + err);
                }
                compared++;
            }
            for (String tensor : ref.ints().keySet()) {
                if (tensor.startsWith("topk_ids")) {
                    assertArrayEquals(ref.i(tensor), f.tensor(tensor, LoadMode.MEMORY).toInts(), name + " " + tensor);
                    compared++;
                }
            }
            assertTrue(compared >= 3, "compared " + compared + " tensors");
        }
    }

    @ParameterizedTest
    @FieldSource("MODELS")
    void greedyGenerateReproducesGeneratedIds(String name) throws IOException {
        ReferenceFixture ref = ReferenceFixture.load(name);
        int[] prompt = ref.i("input_ids");
        int[] expected = ref.i("generated_ids");
        CliProcess p = CliProcess.run(home, "generate", "--model", ref.dir().toString(), "--input-ids", ids(prompt),
                "--max-new-tokens", Integer.toString(expected.length - prompt.length), "--temperature", "0", "--ids");
        assertEquals(0, p.exitCode(), p.stderr());
        JsonNode line = JSON.readTree(p.stdout().strip());
        int[] got = new int[line.get("generated_ids").size()];
        for (int i = 0; i < got.length; i++) {
            got[i] = line.get("generated_ids").get(i).asInt();
        }
        assertArrayEquals(expected, got, name);
    }

    /** A GGUF file (written from the fixture with F16 weights) works wherever a checkpoint directory does. */
    @Test
    void greedyGenerateFromAGgufFileReproducesGeneratedIds() throws IOException {
        ReferenceFixture ref = ReferenceFixture.load("tiny-qwen3-moe");
        Path gguf = io.moemesh.core.weights.gguf.FixtureGguf.convert(ref.dir(), io.moemesh.core.weights.DType.F16,
                home.resolve("tiny-qwen3-moe-f16.gguf"));
        int[] prompt = ref.i("input_ids");
        int[] expected = ref.i("generated_ids");
        CliProcess p = CliProcess.run(home, "generate", "--model", gguf.toString(), "--input-ids", ids(prompt),
                "--max-new-tokens", Integer.toString(expected.length - prompt.length), "--temperature", "0", "--ids");
        assertEquals(0, p.exitCode(), p.stderr());
        JsonNode line = JSON.readTree(p.stdout().strip());
        int[] got = new int[line.get("generated_ids").size()];
        for (int i = 0; i < got.length; i++) {
            got[i] = line.get("generated_ids").get(i).asInt();
        }
        assertArrayEquals(expected, got);
        // the file's own tokenizer (Qwen3's, as the writer stores it) serves text prompts; "#" has an id
        // inside the fixture's 1024-token vocabulary
        int[] encoded = io.moemesh.core.tokenizer.Tokenizer.embeddedQwen3().encode("#");
        CliProcess text = CliProcess.run(home, "generate", "--model", gguf.toString(), "--prompt", "#",
                "--max-new-tokens", "2", "--temperature", "0", "--ids");
        assertEquals(0, text.exitCode(), text.stderr());
        JsonNode all = JSON.readTree(text.stdout().strip()).get("generated_ids");
        for (int i = 0; i < encoded.length; i++) {
            assertEquals(encoded[i], all.get(i).asInt(), text.stdout());
        }
    }

    @Test
    void tokenizeAndChatTemplateMatchTheReference() throws IOException {
        JsonNode ref = JSON.readTree(CliReferenceTest.class.getResourceAsStream("/reference/tokenizer/qwen3-tokenizer-reference.json"));
        for (JsonNode e : ref.get("encodings")) {
            CliProcess p = CliProcess.run(home, "tokenize", "--text", e.get("text").asText());
            assertEquals(0, p.exitCode(), p.stderr());
            assertEquals(e.get("ids"), JSON.readTree(p.stdout()).get("ids"), "tokenize " + e.get("text"));
        }
        var chats = ref.get("chat").properties().iterator();
        while (chats.hasNext()) {
            var chat = chats.next();
            Path request = home.resolve(chat.getKey() + ".json");
            Files.writeString(request, chat.getValue().get("input").toString());
            CliProcess p = CliProcess.run(home, "chat-template", "--request", request.toString());
            assertEquals(0, p.exitCode(), p.stderr());
            JsonNode out = JSON.readTree(p.stdout());
            assertEquals(chat.getValue().get("prompt").asText(), out.get("prompt").asText(), chat.getKey());
            assertEquals(chat.getValue().get("ids"), out.get("ids"), chat.getKey());
        }
    }

    @Test
    void generatesTextFromTheEmbeddedDefaultModel() {
        CliProcess p = CliProcess.run(home, "generate", "--prompt", "The capital of France is", "--max-new-tokens", "8",
                "--seed", "1");
        assertEquals(0, p.exitCode(), p.stderr());
        assertFalse(p.stdout().isBlank(), "streams some text");
        assertTrue(p.stderr().contains("decode"), "reports its speed: " + p.stderr());
        CliProcess again = CliProcess.run(home, "generate", "--prompt", "The capital of France is", "--max-new-tokens", "8",
                "--seed", "1");
        assertEquals(p.stdout(), again.stdout(), "a seed reproduces the text");
        CliProcess chat = CliProcess.run(home, "generate", "--prompt", "Hi", "--chat", "--no-think", "--max-new-tokens", "4",
                "--ids", "--temperature", "0");
        assertEquals(0, chat.exitCode(), chat.stderr());
        assertTrue(chat.stdout().startsWith("{\"generated_ids\":[151644,"), chat.stdout());
    }
}

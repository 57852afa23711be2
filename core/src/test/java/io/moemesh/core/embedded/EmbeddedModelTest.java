package io.moemesh.core.embedded;

import io.moemesh.core.config.Qwen3Config;
import io.moemesh.core.engine.GenerationResult;
import io.moemesh.core.engine.Generator;
import io.moemesh.core.kernel.MatMul;
import io.moemesh.core.nn.Qwen3Model;
import io.moemesh.core.sampling.SamplingParams;
import io.moemesh.core.weights.Checkpoint;
import io.moemesh.core.weights.LoadMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

class EmbeddedModelTest {
    @Test
    void writesThePublishedLayoutOnceAndGeneratesReproducibly(@TempDir Path home) throws Exception {
        System.setProperty("moemesh.home", home.toString());
        try {
            Path dir = EmbeddedModel.ensure(msg -> { });
            assertTrue(Files.isRegularFile(dir.resolve("model.safetensors.index.json")));
            assertTrue(Files.isRegularFile(dir.resolve("tokenizer.json")));
            assertTrue(Files.isRegularFile(dir.resolve("tokenizer_config.json")));
            long modified = Files.getLastModifiedTime(dir.resolve("config.json")).toMillis();
            assertEquals(dir, EmbeddedModel.ensure(msg -> fail("must not be written twice: " + msg)));
            assertEquals(modified, Files.getLastModifiedTime(dir.resolve("config.json")).toMillis());

            try (Checkpoint ck = Checkpoint.open(dir, LoadMode.MEMORY); Qwen3Model model = Qwen3Model.load(ck, MatMul.vector())) {
                Qwen3Config c = ck.config();
                assertEquals(151936, c.vocabSize());
                assertEquals(128, c.numExperts());
                assertEquals(8, c.numExpertsPerToken());
                Generator g = new Generator(model);
                SamplingParams p = SamplingParams.qwen3Default(true).withSeed(5L);
                int[] prompt = {9707, 11, 1879, 0};
                GenerationResult a = g.generate(prompt, 16, p, Set.of(), t -> true);
                GenerationResult b = g.generate(prompt, 16, p, Set.of(), t -> true);
                assertEquals(16, a.generatedIds().length);
                assertArrayEquals(a.generatedIds(), b.generatedIds(), "same seed, same tokens");
                // greedy through the generator equals step-by-step argmax of full recomputation (cache is right)
                GenerationResult greedy = g.generate(prompt, 6, SamplingParams.GREEDY, Set.of(), t -> true);
                int[] all = greedy.allIds();
                for (int i = prompt.length; i < all.length; i++) {
                    float[] logits = model.forward(1000 + i, java.util.Arrays.copyOf(all, i), false, null);
                    model.release(1000 + i);
                    int best = 0;
                    for (int v = 1; v < logits.length; v++) {
                        if (logits[v] > logits[best]) {
                            best = v;
                        }
                    }
                    assertEquals(best, all[i], "token " + i);
                }
            }
        } finally {
            System.clearProperty("moemesh.home");
        }
    }

    @Test
    void generationStopsAtStopTokensAndTheContext() throws Exception {
        Path dir = io.moemesh.core.ReferenceFixture.modelDir("tiny-qwen3-moe");
        try (Checkpoint ck = Checkpoint.open(dir, LoadMode.MEMORY); Qwen3Model model = Qwen3Model.load(ck, MatMul.vector())) {
            Generator g = new Generator(model);
            int[] prompt = {926, 953, 925};
            GenerationResult free = g.generate(prompt, 5, SamplingParams.GREEDY, Set.of(), t -> true);
            int first = free.generatedIds()[0];
            GenerationResult stopped = g.generate(prompt, 5, SamplingParams.GREEDY, Set.of(first), t -> true);
            assertEquals("stop", stopped.finishReason());
            assertArrayEquals(new int[]{first}, stopped.generatedIds());
            assertEquals("length", free.finishReason());
            IllegalArgumentException tooLong = assertThrows(IllegalArgumentException.class,
                    () -> g.generate(new int[4096], 1, SamplingParams.GREEDY, Set.of(), t -> true));
            assertTrue(tooLong.getMessage().contains("context"), tooLong.getMessage());
        }
    }
}

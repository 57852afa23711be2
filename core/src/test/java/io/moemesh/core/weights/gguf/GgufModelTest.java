package io.moemesh.core.weights.gguf;

import io.moemesh.core.ReferenceFixture;
import io.moemesh.core.chat.ChatTemplate;
import io.moemesh.core.config.Qwen3Config;
import io.moemesh.core.kernel.MatMul;
import io.moemesh.core.nn.Qwen3Model;
import io.moemesh.core.sampling.Sampler;
import io.moemesh.core.tokenizer.Tokenizer;
import io.moemesh.core.weights.Checkpoint;
import io.moemesh.core.weights.CheckpointException;
import io.moemesh.core.weights.DType;
import io.moemesh.core.weights.LoadMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.FieldSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A GGUF written from a reference fixture's weights (as llama.cpp's converter would) against the safetensors
 * checkpoint it came from: the same config, the same logits within the format's error, the same greedy tokens.
 */
class GgufModelTest {
    static final List<String> MODELS = ReferenceFixture.MODELS;

    @TempDir
    Path tmp;

    private Path gguf(String model, DType weights) {
        return FixtureGguf.convert(ReferenceFixture.modelDir(model), weights, tmp.resolve(model + "-" + weights + ".gguf"));
    }

    /** Everything but what a GGUF does not carry: fp8 block sizes (GGUF stores no fp8) and eos (taken from the tokenizer). */
    private static Qwen3Config comparable(Qwen3Config c) {
        return new Qwen3Config(c.modelType(), c.vocabSize(), c.hiddenSize(), c.intermediateSize(), c.numHiddenLayers(),
                c.numAttentionHeads(), c.numKeyValueHeads(), c.headDim(), c.rmsNormEps(), c.ropeTheta(), c.ropeScaling(),
                c.maxPositionEmbeddings(), c.tieWordEmbeddings(), c.attentionBias(), c.hiddenAct(), c.numExperts(),
                c.numExpertsPerToken(), c.moeIntermediateSize(), c.normTopkProb(), c.decoderSparseStep(),
                c.mlpOnlyLayers(), List.of(), null, null);
    }

    @ParameterizedTest
    @FieldSource("MODELS")
    void configMatchesConfigJson(String name) {
        Path file = gguf(name, DType.F16);
        try (Checkpoint st = Checkpoint.open(ReferenceFixture.modelDir(name), LoadMode.MMAP);
             Checkpoint gg = Checkpoint.open(file, LoadMode.MMAP)) {
            assertEquals(comparable(st.config()), comparable(gg.config()), name);
            assertEquals(List.of(Tokenizer.embeddedQwen3().tokenId("<|im_end|>").orElseThrow()), gg.config().eosTokenIds());
            assertEquals(file, gg.dir());
            // every tensor the engine can ask for, under its Hugging Face name (fp8 scales aside)
            List<String> expected = st.tensorNames().stream().filter(n -> !n.endsWith("_scale_inv")).sorted().toList();
            assertEquals(expected, gg.tensorNames().stream().sorted().toList(), name);
        }
    }

    /**
     * Logits over the reference prompt, GGUF against safetensors. F16 holds every bf16 weight exactly (up to f16
     * subnormals), so the error is float rounding; Q8_0 adds half a quantization step per weight.
     */
    @ParameterizedTest
    @CsvSource({"tiny-qwen3-moe,F16,1e-3", "tiny-qwen3-dense,F16,1e-3", "tiny-qwen3-moe-128x8,F16,1e-3",
            "tiny-qwen3-moe-yarn,F16,1e-3", "tiny-qwen3-moe-fp8,F16,1e-3", "tiny-qwen3-moe,BF16,1e-5",
            "tiny-qwen3-moe,Q8_0,3e-2", "tiny-qwen3-dense,Q8_0,3e-2", "tiny-qwen3-moe-128x8,Q8_0,3e-2",
            "tiny-qwen3-moe-yarn,Q8_0,3e-2", "tiny-qwen3-moe-fp8,Q8_0,3e-2"})
    void logitsMatchSafetensors(String name, DType weights, double bound) {
        ReferenceFixture ref = ReferenceFixture.load(name);
        Path file = gguf(name, weights);
        float[] expected, actual;
        try (Checkpoint ck = Checkpoint.open(ref.dir(), LoadMode.MMAP); Qwen3Model m = Qwen3Model.load(ck, MatMul.vector())) {
            expected = m.forward(1, ref.i("input_ids"), true, null);
        }
        try (Checkpoint ck = Checkpoint.open(file, LoadMode.MMAP); Qwen3Model m = Qwen3Model.load(ck, MatMul.vector())) {
            actual = m.forward(1, ref.i("input_ids"), true, null);
        }
        double err = ReferenceFixture.relativeError(actual, expected);
        System.out.printf("GGUF %s %s: logits relative error vs safetensors %.2e (vs transformers %.2e)%n", name, weights,
                err, ReferenceFixture.relativeError(actual, ref.f("logits")));
        assertTrue(err < bound, name + " " + weights + " logits relative error " + err + " ≥ " + bound);
        assertTrue(err > 0 || weights == DType.BF16, "a different format should not give identical logits");
    }

    /** Greedy decode with the KV cache, from a GGUF read into memory: the reference's generated ids. */
    @ParameterizedTest
    @CsvSource({"tiny-qwen3-moe,F16,1.0", "tiny-qwen3-dense,F16,1.0", "tiny-qwen3-moe-yarn,F16,1.0",
            "tiny-qwen3-moe,Q8_0,0.75", "tiny-qwen3-dense,Q8_0,0.75", "tiny-qwen3-moe-128x8,Q8_0,0.75"})
    void greedyTokensAgree(String name, DType weights, double minAgreement) {
        ReferenceFixture ref = ReferenceFixture.load(name);
        int[] prompt = ref.i("input_ids"), expected = ref.i("generated_ids");
        try (Checkpoint ck = Checkpoint.open(gguf(name, weights), LoadMode.MEMORY);
             Qwen3Model model = Qwen3Model.load(ck, MatMul.vector())) {
            int[] ids = Arrays.copyOf(prompt, expected.length);
            float[] logits = model.forward(7, prompt, false, null);
            for (int pos = prompt.length; pos < expected.length; pos++) {
                ids[pos] = Sampler.argmax(logits);
                logits = model.forward(7, new int[]{ids[pos]}, false, null);
            }
            // agreement up to the first divergence: after it the model continues a different text
            int same = 0;
            while (prompt.length + same < expected.length && ids[prompt.length + same] == expected[prompt.length + same]) {
                same++;
            }
            double agreement = (double) same / (expected.length - prompt.length);
            System.out.printf("GGUF %s %s: greedy tokens agree for %d of %d%n", name, weights, same, expected.length - prompt.length);
            assertTrue(agreement >= minAgreement, name + " " + weights + ": " + Arrays.toString(ids) + " vs "
                    + Arrays.toString(expected));
        }
    }

    @Test
    void tokenizerAndChatTemplateComeFromTheFile() {
        try (Checkpoint ck = Checkpoint.open(gguf("tiny-qwen3-dense", DType.F16), LoadMode.MMAP)) {
            Tokenizer gguf = ck.embeddedTokenizer().orElseThrow();
            Tokenizer hf = Tokenizer.embeddedQwen3();
            assertEquals(hf.vocabSize(), gguf.vocabSize());
            for (String text : List.of("Hello, world! It's 2025-01-31 at 12:45.", "<|im_start|>user\n你好，世界 🌍<|im_end|>\n",
                    "<think>\nLet me  think...\n</think>\n\n  indented\tcode();\r\n", "naïve café, ﬁ ligature, e\u0301",
                    "<tool_call>{\"name\": \"f\"}</tool_call><|endoftext|>")) {
                int[] ids = hf.encode(text);
                assertArrayEquals(ids, gguf.encode(text), text);
                assertEquals(hf.decode(ids), gguf.decode(ids), text);
            }
            assertEquals(hf.eosToken(), gguf.eosToken());
            assertEquals(hf.padToken(), gguf.padToken());
            assertTrue(gguf.isSpecial(hf.tokenId("<|im_end|>").orElseThrow()));
            assertTrue(!gguf.isSpecial(hf.tokenId("<think>").orElseThrow()));
            assertEquals(ChatTemplate.embeddedQwen3().source(), ck.embeddedChatTemplate().orElseThrow());
        }
    }

    @Test
    void aDirectoryWithOneGgufOpensIt() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("one"));
        Path file = FixtureGguf.convert(ReferenceFixture.modelDir("tiny-qwen3-dense"), DType.Q8_0, dir.resolve("m.gguf"));
        try (Checkpoint ck = Checkpoint.open(dir, LoadMode.MMAP)) {
            assertEquals(file, ck.dir());
            assertEquals("qwen3", ck.config().modelType());
        }
        Files.copy(file, dir.resolve("other.gguf"));
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoint.open(dir, LoadMode.MMAP));
        assertTrue(e.getMessage().contains(dir.toString()) && e.getMessage().contains("m.gguf"), e.getMessage());
    }

    /** A model cut by gguf-split opens from any of its parts, or from its directory, and computes the same logits. */
    @Test
    void splitModelOpensFromAnyPart() throws IOException {
        ReferenceFixture ref = ReferenceFixture.load("tiny-qwen3-moe");
        Path dir = Files.createDirectories(tmp.resolve("split"));
        List<GgufWriter> parts;
        try (Checkpoint ck = Checkpoint.open(ref.dir(), LoadMode.MMAP)) {
            parts = FixtureGguf.writer(ck, DType.Q8_0).split(3);
        }
        for (int i = 0; i < parts.size(); i++) {
            parts.get(i).write(dir.resolve(String.format("tiny-%05d-of-%05d.gguf", i + 1, parts.size())));
        }
        float[] whole;
        try (Checkpoint ck = Checkpoint.open(gguf("tiny-qwen3-moe", DType.Q8_0), LoadMode.MMAP);
             Qwen3Model m = Qwen3Model.load(ck, MatMul.vector())) {
            whole = m.forward(1, ref.i("input_ids"), true, null);
        }
        for (Path open : List.of(dir, dir.resolve("tiny-00002-of-00003.gguf"))) {
            try (Checkpoint ck = Checkpoint.open(open, LoadMode.MMAP); Qwen3Model m = Qwen3Model.load(ck, MatMul.vector())) {
                assertEquals(dir.resolve("tiny-00001-of-00003.gguf"), ck.dir());
                // the same weights; only the kernels' lane-sum order may differ (JIT-compiled vs not yet)
                double err = ReferenceFixture.relativeError(m.forward(1, ref.i("input_ids"), true, null), whole);
                assertTrue(err < 1e-6, open + ": logits relative error " + err + " vs the single-file GGUF");
            }
        }
        Files.delete(dir.resolve("tiny-00003-of-00003.gguf"));
        CheckpointException e = assertThrows(CheckpointException.class,
                () -> Checkpoint.open(dir.resolve("tiny-00001-of-00003.gguf"), LoadMode.MMAP));
        assertTrue(e.getMessage().contains("tiny-00003-of-00003.gguf") && e.getMessage().contains("missing"), e.getMessage());
    }

    /** WeightPlan still applies to GGUF matrices: int8 at load gives our int8, not the stored f16. */
    @Test
    void weightPlanQuantizesGgufMatrices() {
        try (Checkpoint ck = Checkpoint.open(gguf("tiny-qwen3-moe", DType.F16), LoadMode.MMAP,
                io.moemesh.core.tensor.WeightPlan.parse("experts=int8"))) {
            Qwen3Config c = ck.config();
            assertEquals("int8", io.moemesh.core.tensor.Matrices.load(ck, "model.layers.1.mlp.experts.3.up_proj.weight",
                    c.moeIntermediateSize(), c.hiddenSize()).format());
            assertEquals("f16", io.moemesh.core.tensor.Matrices.load(ck, "model.layers.1.self_attn.q_proj.weight",
                    c.qDim(), c.hiddenSize()).format());
        }
    }

    /**
     * A Q8_0 matrix planned as int8 is repacked, level for level, into our layout straight from the mapping: it is
     * read once (the same byte count as loading everything as stored) and never copied into memory as stored.
     */
    @Test
    void aQ8_0MatrixPlannedAsInt8IsReadOnceAndRepacked() {
        Path file = gguf("tiny-qwen3-moe", DType.Q8_0);
        long stored, int8;
        try (Checkpoint ck = Checkpoint.open(file, LoadMode.MEMORY); Qwen3Model m = Qwen3Model.load(ck, MatMul.vector())) {
            stored = ck.bytesLoaded();
        }
        try (Checkpoint ck = Checkpoint.open(file, LoadMode.MEMORY, io.moemesh.core.tensor.WeightPlan.parse("experts=int8"));
             Qwen3Model m = Qwen3Model.load(ck, MatMul.vector())) {
            int8 = ck.bytesLoaded();
            assertTrue(ck.bytesCopiedIntoMemory() < stored, "the Q8_0 experts are repacked, not copied as stored");
        }
        assertTrue(stored > 0);
        assertEquals(stored, int8);
    }
}

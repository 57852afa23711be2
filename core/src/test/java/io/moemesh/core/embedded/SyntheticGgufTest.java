package io.moemesh.core.embedded;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.moemesh.core.ReferenceFixture;
import io.moemesh.core.kernel.MatMul;
import io.moemesh.core.nn.Qwen3Model;
import io.moemesh.core.tensor.Matrices;
import io.moemesh.core.tensor.WeightPlan;
import io.moemesh.core.weights.Checkpoint;
import io.moemesh.core.weights.DType;
import io.moemesh.core.weights.LoadMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The benchmarks' synthetic Q4_K_M GGUF, at a small size: llama.cpp's tensor types where llama.cpp puts them, a file
 * our loader reads back with the config it was written from, and a model that runs on it, with {@code --weights auto}
 * (Q4_K into q4 panels with its minimums, Q6_K into int8) close to the K-quants computed in their own layout; loaded
 * as stored, the log says once that {@code --weights auto} is the fast way.
 */
class SyntheticGgufTest {
    @TempDir
    Path tmp;

    private static ObjectNode config() {
        ObjectNode c = EmbeddedModel.config();
        c.put("hidden_size", 256);
        c.put("moe_intermediate_size", 256);
        c.put("num_experts", 8);
        c.put("num_experts_per_tok", 2);
        c.put("num_hidden_layers", 8);
        c.put("max_window_layers", 8);
        c.put("vocab_size", 512);
        return c;
    }

    @Test
    void q4KMTypesAndAModelThatRunsOnThem() throws Exception {
        Path file = SyntheticGguf.ensure(tmp.resolve("m.gguf"), config(), 7, s -> { });
        FileTime written = Files.getLastModifiedTime(file);
        assertEquals(file, SyntheticGguf.ensure(file, config(), 7, s -> { }));
        assertEquals(written, Files.getLastModifiedTime(file), "a second ensure reads the file, it does not write it again");

        List<Integer> moreBits = new ArrayList<>();
        for (int l = 0; l < 8; l++) {
            if (SyntheticGguf.moreBits(l, 8)) {
                moreBits.add(l);
            }
        }
        assertEquals(List.of(0, 3, 6, 7), moreBits, "use_more_bits for 8 layers: the first and last eighth, every third between");

        try (Checkpoint ck = Checkpoint.open(file, LoadMode.MMAP)) {
            assertEquals(256, ck.config().hiddenSize());
            assertEquals(8, ck.config().numHiddenLayers());
            assertEquals(8, ck.config().numExperts());
            assertEquals(512, ck.config().vocabSize());
            assertEquals(DType.Q6_K, ck.tensor("lm_head.weight").dtype());
            assertEquals(DType.Q4_K, ck.tensor("model.embed_tokens.weight").dtype());
            for (int l = 0; l < 8; l++) {
                String p = "model.layers." + l + ".";
                DType more = moreBits.contains(l) ? DType.Q6_K : DType.Q4_K;
                assertEquals(more, ck.tensor(p + "mlp.experts.5.down_proj.weight").dtype(), "layer " + l);
                assertEquals(more, ck.tensor(p + "self_attn.v_proj.weight").dtype(), "layer " + l);
                assertEquals(DType.Q4_K, ck.tensor(p + "mlp.experts.5.gate_proj.weight").dtype());
                assertEquals(DType.Q4_K, ck.tensor(p + "self_attn.o_proj.weight").dtype());
                assertEquals(DType.F32, ck.tensor(p + "mlp.gate.weight").dtype());
            }
        }

        int[] prompt = {1, 77, 300, 5, 511};
        float[] stored, auto;
        // loaded as stored, the K-quants are slow, and the log says once what to do instead
        List<LogRecord> log = new ArrayList<>();
        Handler handler = new Handler() {
            @Override
            public void publish(LogRecord r) {
                log.add(r);
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        Logger matrices = Logger.getLogger(Matrices.class.getName());
        matrices.addHandler(handler);
        try (Checkpoint ck = Checkpoint.open(file, LoadMode.MEMORY);
             Qwen3Model m = Qwen3Model.load(ck, MatMul.vector())) {
            stored = m.forward(1, prompt, true, null);
        }
        try (Checkpoint ck = Checkpoint.open(file, LoadMode.MEMORY, WeightPlan.parse("auto"));
             Qwen3Model m = Qwen3Model.load(ck, MatMul.vector())) {
            auto = m.forward(1, prompt, true, null);
        } finally {
            matrices.removeHandler(handler);
        }
        List<LogRecord> hints = log.stream().filter(r -> r.getLevel() == Level.WARNING).toList();
        assertEquals(1, hints.size(), "one hint for the stored load, none for auto: " + hints);
        assertTrue(new SimpleFormatter().formatMessage(hints.getFirst()).contains("--weights auto"));
        for (float v : auto) {
            assertTrue(Float.isFinite(v), "finite logits");
        }
        double err = ReferenceFixture.relativeError(auto, stored);
        System.out.printf("synthetic Q4_K_M: --weights auto against the K-quants in their own layout, logits relative error %.2e%n", err);
        assertTrue(err > 0 && err < 2e-2, "auto vs stored logits relative error " + err);
    }
}

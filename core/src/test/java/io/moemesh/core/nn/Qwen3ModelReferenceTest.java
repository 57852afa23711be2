package io.moemesh.core.nn;

import io.moemesh.core.ReferenceFixture;
import io.moemesh.core.kernel.MatMul;
import io.moemesh.core.weights.Checkpoint;
import io.moemesh.core.weights.LoadMode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The forward pass against what transformers computed on the same checkpoints. */
class Qwen3ModelReferenceTest {
    static final java.util.List<String> MODELS = ReferenceFixture.MODELS;

    @ParameterizedTest
    @FieldSource("MODELS")
    void prefillMatchesReferenceLayerByLayer(String name) {
        ReferenceFixture ref = ReferenceFixture.load(name);
        try (Checkpoint ck = Checkpoint.open(ref.dir(), LoadMode.MMAP); Qwen3Model model = Qwen3Model.load(ck, MatMul.vector())) {
            RecordingTrace trace = new RecordingTrace();
            float[] logits = model.forward(1, ref.i("input_ids"), true, trace);
            int layers = ck.config().numHiddenLayers();
            for (int i = 0; i <= layers; i++) {
                double err = ReferenceFixture.relativeError(trace.hiddenStates().get(i), ref.f("hidden_states." + i));
                assertTrue(err < 1e-4, name + " hidden_states." + i + " relative error " + err);
            }
            double logitErr = ReferenceFixture.relativeError(logits, ref.f("logits"));
            assertTrue(logitErr < 1e-4, name + " logits relative error " + logitErr);
            System.out.printf("%s: logits relative error %.2e%n", name, logitErr);
            for (int l = 0; l < layers; l++) {
                if (!ck.config().isMoeLayer(l)) {
                    continue;
                }
                Routing r = trace.routing().get(l);
                assertArrayEquals(ref.i("topk_ids." + l), r.expertIds(), name + " topk_ids." + l);
                float[] w = ref.f("topk_weights." + l);
                for (int j = 0; j < w.length; j++) {
                    assertEquals(w[j], r.weights()[j], 1e-5, name + " topk_weights." + l + "[" + j + "]");
                }
                double routerErr = ReferenceFixture.relativeError(r.logits(), ref.f("router_logits." + l));
                assertTrue(routerErr < 1e-4, name + " router_logits." + l + " relative error " + routerErr);
            }
        }
    }

    @ParameterizedTest
    @FieldSource("MODELS")
    void greedyDecodeWithKvCacheMatchesReference(String name) {
        ReferenceFixture ref = ReferenceFixture.load(name);
        int[] prompt = ref.i("input_ids");
        int[] expected = ref.i("generated_ids");
        try (Checkpoint ck = Checkpoint.open(ref.dir(), LoadMode.MEMORY); Qwen3Model model = Qwen3Model.load(ck, MatMul.vector())) {
            int[] ids = Arrays.copyOf(prompt, expected.length);
            float[] logits = model.forward(7, prompt, false, null);
            for (int pos = prompt.length; pos < expected.length; pos++) {
                ids[pos] = io.moemesh.core.sampling.Sampler.argmax(logits);
                logits = model.forward(7, new int[]{ids[pos]}, false, null);
            }
            assertArrayEquals(expected, ids, name + " greedy generated_ids");
        }
    }

}

package io.moemesh.core.tensor;

import io.moemesh.core.ReferenceFixture;
import io.moemesh.core.kernel.MatMul;
import io.moemesh.core.nn.Qwen3Model;
import io.moemesh.core.sampling.Sampler;
import io.moemesh.core.weights.Checkpoint;
import io.moemesh.core.weights.LoadMode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Arrays;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What {@code --weights bf16 | int8 | q4 | q4a8} costs on the reference fixtures: the relative error of every position's logits
 * against transformers', and teacher-forced greedy agreement (the quantized model's argmax after each prefix of the
 * reference generation, so one early flip does not count as many). The README states these numbers.
 */
class QuantizedWeightsAccuracyTest {
    static Stream<Arguments> cases() {
        return ReferenceFixture.MODELS.stream().flatMap(m -> Stream.of(Arguments.of(m, "bf16"), Arguments.of(m, "int8"),
                Arguments.of(m, "q4"), Arguments.of(m, "q4a8"), Arguments.of(m, "experts=q4,attention=int8,head=int8"),
                Arguments.of(m, "experts=q4a8,attention=int8,head=int8")));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void quantizedWeightsStayCloseToTheReference(String name, String format) {
        ReferenceFixture ref = ReferenceFixture.load(name);
        int[] prompt = ref.i("input_ids");
        int[] generated = ref.i("generated_ids");
        try (Checkpoint ck = Checkpoint.open(ref.dir(), LoadMode.MEMORY, WeightPlan.parse(format));
             Qwen3Model model = Qwen3Model.load(ck, MatMul.vector())) {
            double error = ReferenceFixture.relativeError(model.forward(1, prompt, true, null), ref.f("logits"));
            model.release(1);
            float[] logits = model.forward(2, prompt, false, null);
            int agree = 0, positions = generated.length - prompt.length;
            for (int pos = prompt.length; pos < generated.length; pos++) {
                agree += Sampler.argmax(logits) == generated[pos] ? 1 : 0;
                logits = model.forward(2, new int[]{generated[pos]}, false, null);
            }
            model.release(2);
            System.out.printf("%-22s %-36s logits relative error %.2e, greedy agreement %d/%d%n", name, format, error,
                    agree, positions);
            // Bounds a little above what these random tiny models measure (README): a broken kernel is far off. bf16
            // panels hold the bf16 checkpoints' values exactly (only the order of the sums differs) and round the fp8
            // one's products of value and block scale to bf16.
            boolean bf16 = format.equals("bf16"), int8 = format.equals("int8");
            double maxError = bf16 ? 0.01 : int8 ? 0.05 : 0.35;
            assertTrue(error < maxError, name + " " + format + ": logits relative error " + error + " > " + maxError);
            assertTrue(agree >= positions * (bf16 || int8 ? 0.9 : 0.4),
                    name + " " + format + ": greedy agreement " + agree + "/" + positions + " " + Arrays.toString(generated));
        }
    }
}

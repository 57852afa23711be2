package io.moemesh.core.tensor;

import io.moemesh.core.ReferenceFixture;
import io.moemesh.core.config.Qwen3Config;
import io.moemesh.core.kernel.MatMul;
import io.moemesh.core.nn.Qwen3Model;
import io.moemesh.core.weights.Checkpoint;
import io.moemesh.core.weights.LoadMode;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * With {@code --load memory} (the serving default) a matrix quantized at load keeps only its quantized copy: its
 * stored bytes are read through a mapping, not copied into memory that lives as long as the model.
 */
class QuantizeAtLoadMemoryTest {
    private static final String MODEL = "tiny-qwen3-moe";

    private record Loaded(long copied, long loaded, float[] logits) {
    }

    private static Loaded load(String plan) {
        ReferenceFixture ref = ReferenceFixture.load(MODEL);
        try (Checkpoint ck = Checkpoint.open(ref.dir(), LoadMode.MEMORY, WeightPlan.parse(plan));
             Qwen3Model model = Qwen3Model.load(ck, MatMul.vector())) {
            float[] logits = model.forward(1, ref.i("input_ids"), false, null);
            return new Loaded(ck.bytesCopiedIntoMemory(), ck.bytesLoaded(), logits);
        }
    }

    @Test
    void quantizedExpertsLeaveNoStoredCopyInMemory() {
        Loaded stored = load("stored");
        Loaded q4 = load("experts=q4");
        assertEquals(stored.loaded(), stored.copied(), "with stored weights every tensor is read into memory");

        Qwen3Config c;
        try (Checkpoint ck = Checkpoint.open(ReferenceFixture.load(MODEL).dir(), LoadMode.MMAP)) {
            c = ck.config();
        }
        long expertBytes = (long) c.numHiddenLayers() * c.numExperts() * 3 * c.hiddenSize() * c.moeIntermediateSize() * 2;
        assertEquals(stored.copied() - expertBytes, q4.copied(),
                "q4 experts: memory holds every stored tensor but the experts' bf16 (" + expertBytes + " bytes)");
        assertTrue(q4.loaded() >= stored.loaded(), "the experts are still read, through the mapping");
    }

    @Test
    void quantizingFromTheMappingGivesTheSameModel() {
        // the same quantized weights whether their source was mapped or copied: identical logits under either mode
        ReferenceFixture ref = ReferenceFixture.load(MODEL);
        float[] mapped;
        try (Checkpoint ck = Checkpoint.open(ref.dir(), LoadMode.MMAP, WeightPlan.parse("q4"));
             Qwen3Model model = Qwen3Model.load(ck, MatMul.vector())) {
            mapped = model.forward(1, ref.i("input_ids"), false, null);
        }
        assertArrayEquals(mapped, load("q4").logits());
    }
}

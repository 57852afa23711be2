package io.moemesh.core.embedded;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.moemesh.core.ReferenceFixture;
import io.moemesh.core.kernel.MatMul;
import io.moemesh.core.nn.Qwen3Model;
import io.moemesh.core.tensor.WeightPlan;
import io.moemesh.core.weights.Checkpoint;
import io.moemesh.core.weights.DType;
import io.moemesh.core.weights.LoadMode;
import io.moemesh.core.weights.TensorSlice;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The benchmarks' synthetic FP8 checkpoint, at a small size: the tensors Qwen's -FP8 releases hold in e4m3 (every
 * projection, each with its block scales), the rest bf16; each weight the bf16 twin's (same seed) within e4m3's
 * rounding; and a model that runs on it, under {@code auto} as under {@code stored}.
 */
class SyntheticFp8Test {
    @TempDir
    Path tmp;

    private static ObjectNode config(boolean fp8) {
        ObjectNode c = EmbeddedModel.config();
        c.put("hidden_size", 256);
        c.put("moe_intermediate_size", 192);   // scale blocks of 128 that end inside the matrix
        c.put("num_experts", 8);
        c.put("num_experts_per_tok", 2);
        c.put("num_hidden_layers", 2);
        c.put("max_window_layers", 2);
        c.put("vocab_size", 512);
        if (fp8) {
            ObjectNode q = c.putObject("quantization_config");
            q.put("quant_method", "fp8").put("fmt", "e4m3").put("activation_scheme", "dynamic");
            q.putArray("weight_block_size").add(128).add(128);
        }
        return c;
    }

    @Test
    void projectionsInE4m3WithBlockScalesAndAModelThatRunsOnThem() throws Exception {
        Path fp8 = tmp.resolve("fp8"), bf16 = tmp.resolve("bf16");
        SyntheticCheckpoint.write(fp8, new SyntheticCheckpoint.Spec(config(true), 5, 0.02, 3), s -> { });
        SyntheticCheckpoint.write(bf16, new SyntheticCheckpoint.Spec(config(false), 5, 0.02, 3), s -> { });
        try (Checkpoint f = Checkpoint.open(fp8, LoadMode.MMAP); Checkpoint b = Checkpoint.open(bf16, LoadMode.MMAP)) {
            assertTrue(f.config().isFp8());
            for (String name : new String[]{"model.embed_tokens.weight", "lm_head.weight", "model.norm.weight",
                    "model.layers.1.mlp.gate.weight", "model.layers.1.input_layernorm.weight"}) {
                assertEquals(DType.BF16, f.tensor(name).dtype(), name);
            }
            int checked = 0;
            for (String name : new String[]{"model.layers.0.self_attn.q_proj.weight", "model.layers.0.self_attn.k_proj.weight",
                    "model.layers.1.self_attn.o_proj.weight", "model.layers.1.mlp.experts.7.gate_proj.weight",
                    "model.layers.0.mlp.experts.3.down_proj.weight"}) {
                TensorSlice weights = f.tensor(name), scales = f.tensor(name + "_scale_inv"), twin = b.tensor(name);
                assertEquals(DType.F8_E4M3, weights.dtype(), name);
                assertEquals(DType.F32, scales.dtype(), name);
                int rows = (int) twin.shape()[0], cols = (int) twin.shape()[1];
                int scaleCols = (cols + 127) / 128;
                assertArrayEquals(new long[]{(rows + 127) / 128, scaleCols}, scales.shape(), name);
                float[] w = weights.toFloats(), s = scales.toFloats(), t = twin.toFloats();
                float[] largest = new float[s.length];
                for (int r = 0; r < rows; r++) {
                    for (int c = 0; c < cols; c++) {
                        int block = r / 128 * scaleCols + c / 128;
                        float value = w[r * cols + c] * s[block];
                        // e4m3 keeps 3 mantissa bits (half a step: 2^-4 relative) down to 2^-6 of a block's scale
                        // unit, then steps of 2^-9 units; the twin is bf16 (2^-9 relative) of the same draw
                        float bound = Math.max(0x1p-4f * Math.abs(t[r * cols + c]), 0x1p-10f * s[block])
                                + 0x1p-8f * Math.abs(t[r * cols + c]);
                        assertEquals(t[r * cols + c], value, bound, name + " [" + r + "," + c + "]");
                        largest[block] = Math.max(largest[block], Math.abs(w[r * cols + c]));
                        checked++;
                    }
                }
                for (float l : largest) {
                    assertEquals(448f, l, name + ": each block's largest weight is e4m3's largest value");
                }
            }
            assertTrue(checked > 200_000);
        }

        int[] prompt = {1, 77, 300, 5, 511};
        float[] stored, auto, twin;
        try (Checkpoint ck = Checkpoint.open(fp8, LoadMode.MEMORY); Qwen3Model m = Qwen3Model.load(ck, MatMul.vector())) {
            stored = m.forward(1, prompt, true, null);
        }
        try (Checkpoint ck = Checkpoint.open(fp8, LoadMode.MEMORY, WeightPlan.parse("auto"));
             Qwen3Model m = Qwen3Model.load(ck, MatMul.vector())) {
            auto = m.forward(1, prompt, true, null);
        }
        try (Checkpoint ck = Checkpoint.open(bf16, LoadMode.MEMORY); Qwen3Model m = Qwen3Model.load(ck, MatMul.vector())) {
            twin = m.forward(1, prompt, true, null);
        }
        double autoErr = ReferenceFixture.relativeError(auto, stored), twinErr = ReferenceFixture.relativeError(stored, twin);
        System.out.printf("synthetic FP8: logits relative error, auto against stored %.2e, FP8 against bf16 %.2e%n",
                autoErr, twinErr);
        assertTrue(autoErr < 1e-5, "auto (fp8 panels) against stored (fp8 row by row) " + autoErr);
        assertTrue(twinErr > 0 && twinErr < 0.1, "the FP8 model against its bf16 twin " + twinErr);
    }
}

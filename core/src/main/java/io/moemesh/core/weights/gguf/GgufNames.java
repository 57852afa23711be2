package io.moemesh.core.weights.gguf;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Tensor names: llama.cpp's GGUF names for Qwen3 / Qwen3-MoE and the Hugging Face names the engine asks for.
 * llama.cpp's converter stores Qwen3's q/k projections unpermuted (Qwen3 uses NeoX-style "rotate half" RoPE, as
 * transformers does; only the llama architecture gets its rows permuted), so names are all that differ. The MoE
 * experts of a layer are one 3-D tensor per projection, {@code [ne0 = cols, ne1 = rows, ne2 = experts]}, so one
 * Hugging Face expert weight is one contiguous slice of it.
 */
public final class GgufNames {
    /** A Hugging Face tensor in a GGUF file: the GGUF tensor and, for experts, which slice of it (else -1). */
    public record Ref(String gguf, int expert) {
    }

    private static final Map<String, String> GLOBAL = Map.of(
            "token_embd.weight", "model.embed_tokens.weight",
            "output.weight", "lm_head.weight",
            "output_norm.weight", "model.norm.weight");
    private static final Map<String, String> LAYER = Map.ofEntries(
            Map.entry("attn_norm", "input_layernorm"),
            Map.entry("ffn_norm", "post_attention_layernorm"),
            Map.entry("attn_q", "self_attn.q_proj"),
            Map.entry("attn_k", "self_attn.k_proj"),
            Map.entry("attn_v", "self_attn.v_proj"),
            Map.entry("attn_output", "self_attn.o_proj"),
            Map.entry("attn_q_norm", "self_attn.q_norm"),
            Map.entry("attn_k_norm", "self_attn.k_norm"),
            Map.entry("ffn_gate_inp", "mlp.gate"),
            Map.entry("ffn_gate", "mlp.gate_proj"),
            Map.entry("ffn_up", "mlp.up_proj"),
            Map.entry("ffn_down", "mlp.down_proj"));
    private static final Map<String, String> EXPERTS = Map.of(
            "ffn_gate_exps", "gate_proj", "ffn_up_exps", "up_proj", "ffn_down_exps", "down_proj");
    private static final Pattern BLOCK = Pattern.compile("blk\\.(\\d+)\\.(\\w+)\\.weight");

    private GgufNames() {
    }

    /**
     * The Hugging Face names a GGUF tensor holds: one, or one per expert for the 3-D expert tensors; empty for
     * tensors the engine has no use for.
     *
     * @param experts the tensor's outermost dimension (ne2) where it is 3-D
     */
    public static List<String> huggingFace(String gguf, long experts) {
        String global = GLOBAL.get(gguf);
        if (global != null) {
            return List.of(global);
        }
        Matcher m = BLOCK.matcher(gguf);
        if (!m.matches()) {
            return List.of();
        }
        String prefix = "model.layers." + Integer.parseInt(m.group(1)) + ".";
        String part = m.group(2);
        if (LAYER.containsKey(part)) {
            return List.of(prefix + LAYER.get(part) + ".weight");
        }
        String projection = EXPERTS.get(part);
        if (projection == null) {
            return List.of();
        }
        List<String> names = new ArrayList<>();
        for (int e = 0; e < experts; e++) {
            names.add(prefix + "mlp.experts." + e + "." + projection + ".weight");
        }
        return names;
    }

    private static final Pattern HF_LAYER = Pattern.compile("model\\.layers\\.(\\d+)\\.(.+)\\.weight");
    private static final Pattern HF_EXPERT = Pattern.compile("mlp\\.experts\\.(\\d+)\\.(gate_proj|up_proj|down_proj)");

    /** Where a Hugging Face tensor lives in a GGUF file, or null when no GGUF name stands for it. */
    public static Ref gguf(String huggingFace) {
        for (Map.Entry<String, String> e : GLOBAL.entrySet()) {
            if (e.getValue().equals(huggingFace)) {
                return new Ref(e.getKey(), -1);
            }
        }
        Matcher m = HF_LAYER.matcher(huggingFace);
        if (!m.matches()) {
            return null;
        }
        String blk = "blk." + Integer.parseInt(m.group(1)) + ".";
        String part = m.group(2);
        for (Map.Entry<String, String> e : LAYER.entrySet()) {
            if (e.getValue().equals(part)) {
                return new Ref(blk + e.getKey() + ".weight", -1);
            }
        }
        Matcher x = HF_EXPERT.matcher(part);
        if (x.matches()) {
            for (Map.Entry<String, String> e : EXPERTS.entrySet()) {
                if (e.getValue().equals(x.group(2))) {
                    return new Ref(blk + e.getKey() + ".weight", Integer.parseInt(x.group(1)));
                }
            }
        }
        return null;
    }
}

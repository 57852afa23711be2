package io.moemesh.core.tensor;

import java.util.Locale;

/**
 * Which {@link WeightFormat} each role's matrices take at load ({@code --weights}): the feed-forward weights
 * (experts, and the MLPs of dense layers), the attention projections, and the lm_head. The router's gate, the
 * embeddings and the norms always stay as stored: they are small, and routing is sensitive to the gate.
 */
public record WeightPlan(WeightFormat feedForward, WeightFormat attention, WeightFormat head) {
    public static final WeightPlan STORED = new WeightPlan(WeightFormat.STORED, WeightFormat.STORED, WeightFormat.STORED);

    /**
     * {@code int8} (every role), or per role {@code experts=q4,attention=int8,head=stored}; roles not named stay as
     * stored. {@code bf16} is accepted for {@code stored} (what Qwen's bf16 releases store).
     */
    public static WeightPlan parse(String spec) {
        String s = spec.strip().toLowerCase(Locale.ROOT);
        if (!s.contains("=")) {
            WeightFormat all = format(s, spec);
            return new WeightPlan(all, all, all);
        }
        WeightFormat ffn = WeightFormat.STORED, attention = WeightFormat.STORED, head = WeightFormat.STORED;
        for (String part : s.split(",")) {
            String[] kv = part.split("=", 2);
            if (kv.length != 2) {
                throw new IllegalArgumentException("--weights '" + spec + "': expected role=format, got '" + part + "'");
            }
            WeightFormat f = format(kv[1].strip(), spec);
            switch (kv[0].strip()) {
                case "experts", "ffn" -> ffn = f;
                case "attention" -> attention = f;
                case "head" -> head = f;
                default -> throw new IllegalArgumentException("--weights '" + spec + "': unknown role '" + kv[0].strip()
                        + "' (roles: experts, attention, head)");
            }
        }
        return new WeightPlan(ffn, attention, head);
    }

    private static WeightFormat format(String name, String spec) {
        try {
            return WeightFormat.of(name);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--weights '" + spec + "': " + e.getMessage());
        }
    }

    /** The format for a checkpoint tensor, by the role its (Hugging Face) name says it belongs to. */
    public WeightFormat formatFor(String tensorName) {
        if (tensorName.equals("lm_head.weight")) {
            return head;
        }
        if (tensorName.contains(".self_attn.")) {
            return attention;
        }
        if (tensorName.contains(".mlp.") && !tensorName.endsWith(".mlp.gate.weight")) {
            return feedForward;
        }
        return WeightFormat.STORED;
    }

    public boolean isStored() {
        return equals(STORED);
    }

    @Override
    public String toString() {
        return feedForward == attention && attention == head ? feedForward.toString()
                : "experts=" + feedForward + ",attention=" + attention + ",head=" + head;
    }
}

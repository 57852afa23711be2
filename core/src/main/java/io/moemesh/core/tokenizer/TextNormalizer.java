package io.moemesh.core.tokenizer;

import java.text.Normalizer;
import java.util.List;

/**
 * The file's {@code normalizer}: a sequence of Unicode normalization forms (Qwen3: just NFC).
 *
 * <p>{@link #isIdentityOn} lets the encoder skip copying text that is already normalized, which
 * is nearly all text; the JDK's quick check is fast on ASCII.
 */
final class TextNormalizer {
    static final TextNormalizer NONE = new TextNormalizer(List.of());

    private final List<Normalizer.Form> forms;

    TextNormalizer(List<Normalizer.Form> forms) {
        this.forms = List.copyOf(forms);
    }

    /** True when normalizing {@code s} would not change it. */
    boolean isIdentityOn(CharSequence s) {
        for (Normalizer.Form f : forms) {
            if (!Normalizer.isNormalized(s, f)) {
                return false;
            }
        }
        return true;
    }

    String apply(String s) {
        for (Normalizer.Form f : forms) {
            s = Normalizer.normalize(s, f);
        }
        return s;
    }
}

package io.moemesh.core.weights.gguf;

import io.moemesh.core.tokenizer.Tokenizer;
import io.moemesh.core.tokenizer.TokenizerException;

import java.util.Optional;
import java.util.Set;

/** The tokenizer and chat template a GGUF file carries ({@code tokenizer.ggml.*}, {@code tokenizer.chat_template}). */
public final class GgufTokenizer {
    /** llama.cpp's names for the Qwen2 pre-tokenizer regex, which Qwen3 shares. */
    private static final Set<String> QWEN2_PRE = Set.of("qwen2");

    private GgufTokenizer() {
    }

    /** The file's tokenizer, or empty when it has none; only GPT-2-style byte-level BPE with Qwen2's pre-tokenizer. */
    public static Optional<Tokenizer> read(GgufFile f) {
        if (!f.has("tokenizer.ggml.model")) {
            return Optional.empty();
        }
        String source = f.path().toString();
        String model = f.string("tokenizer.ggml.model");
        if (!"gpt2".equals(model)) {
            throw new TokenizerException(source + ": tokenizer.ggml.model '" + model + "' is not supported (gpt2 is)");
        }
        if (f.has("tokenizer.ggml.pre") && !QWEN2_PRE.contains(f.string("tokenizer.ggml.pre"))) {
            throw new TokenizerException(source + ": tokenizer.ggml.pre '" + f.string("tokenizer.ggml.pre")
                    + "' is not supported (qwen2 is)");
        }
        return Optional.of(Tokenizer.fromVocabulary(f.strings("tokenizer.ggml.tokens"),
                f.has("tokenizer.ggml.token_type") ? f.ints("tokenizer.ggml.token_type") : null,
                f.strings("tokenizer.ggml.merges"), id(f, "tokenizer.ggml.eos_token_id"),
                id(f, "tokenizer.ggml.padding_token_id"), source));
    }

    /** The Jinja chat template, when the file has one. */
    public static Optional<String> chatTemplate(GgufFile f) {
        return f.has("tokenizer.chat_template") ? Optional.of(f.string("tokenizer.chat_template")) : Optional.empty();
    }

    private static Integer id(GgufFile f, String key) {
        return f.has(key) ? Math.toIntExact(f.integer(key)) : null;
    }
}

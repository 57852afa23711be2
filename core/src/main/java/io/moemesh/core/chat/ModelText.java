package io.moemesh.core.chat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.moemesh.core.tokenizer.Tokenizer;
import io.moemesh.core.weights.Checkpoint;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.HashSet;
import java.util.Set;

/**
 * The text side of a model: its tokenizer, chat template and end-of-sequence tokens, found where the model keeps them
 * (a Hugging Face directory's tokenizer.json / tokenizer_config.json / generation_config.json, or a GGUF file's
 * header), falling back to Qwen3's own for the embedded model. Read without loading any weights.
 */
public record ModelText(Tokenizer tokenizer, ChatTemplate chatTemplate, Set<Integer> stopTokens) {
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * @param path      a checkpoint directory or GGUF file
     * @param configEos config.json's eos_token_id(s)
     */
    public static ModelText of(Path path, Collection<Integer> configEos) {
        Tokenizer tokenizer = tokenizer(path);
        return new ModelText(tokenizer, chatTemplate(path), stopTokens(path, tokenizer, configEos));
    }

    /** The GGUF file's own tokenizer, a directory's tokenizer.json, or Qwen3's. */
    public static Tokenizer tokenizer(Path path) {
        return Checkpoint.fileTokenizer(path).orElseGet(() ->
                Files.isRegularFile(path.resolve("tokenizer.json")) ? Tokenizer.load(path) : Tokenizer.embeddedQwen3());
    }

    /** tokenizer_config.json's chat_template, the GGUF file's, or Qwen3's. */
    public static ChatTemplate chatTemplate(Path path) {
        Path tokenizerConfig = path.resolve("tokenizer_config.json");
        return Files.isRegularFile(tokenizerConfig) ? ChatTemplate.fromTokenizerConfig(tokenizerConfig)
                : Checkpoint.fileChatTemplate(path).map(ChatTemplate::parse).orElseGet(ChatTemplate::embeddedQwen3);
    }

    /** config.json's eos ids, the tokenizer's eos token, and generation_config.json's when present. */
    public static Set<Integer> stopTokens(Path path, Tokenizer tokenizer, Collection<Integer> configEos) {
        Set<Integer> stops = new HashSet<>(configEos);
        if (Files.isRegularFile(path.resolve("tokenizer.json"))) {
            tokenizer.eosToken().ifPresent(eos -> tokenizer.tokenId(eos).ifPresent(stops::add));
        }
        stops.addAll(generationConfigEos(path.resolve("generation_config.json")));
        return Set.copyOf(stops);
    }

    private static Set<Integer> generationConfigEos(Path file) {
        Set<Integer> out = new HashSet<>();
        if (!Files.isRegularFile(file)) {
            return out;
        }
        try {
            JsonNode eos = JSON.readTree(file.toFile()).get("eos_token_id");
            if (eos != null && eos.isArray()) {
                eos.forEach(n -> out.add(n.asInt()));
            } else if (eos != null && eos.isInt()) {
                out.add(eos.asInt());
            }
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
        return out;
    }
}

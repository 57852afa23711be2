package io.moemesh.core.tokenizer;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a Hugging Face {@code tokenizer.json} (and optional {@code tokenizer_config.json}) into a
 * {@link Tokenizer}.
 *
 * <p>Only what byte-level BPE tokenizers of the Qwen/GPT-2 family use is accepted. A component this
 * code does not implement is refused with an error naming the file, because silently tokenizing
 * differently from the model's own tokenizer would corrupt every prompt without any symptom.
 * Truncation, padding and the post-processor are ignored on purpose: {@link Tokenizer#encode}
 * never truncates and never adds special tokens.
 */
final class TokenizerLoader {
    /**
     * Field-name canonicalization is off because the vocab's 150k keys are field names: interning
     * them in Jackson's symbol table costs time and memory for names that are never seen again.
     */
    private static final ObjectMapper JSON = new ObjectMapper(
            JsonFactory.builder().disable(JsonFactory.Feature.CANONICALIZE_FIELD_NAMES).build());

    private TokenizerLoader() {}

    static Tokenizer load(Path dir) {
        Path tokenizerJson = dir.resolve("tokenizer.json");
        TokenizerJson root = read(tokenizerJson, TokenizerLoader::parseTokenizerJson);
        Path configJson = dir.resolve("tokenizer_config.json");
        JsonNode config = Files.isRegularFile(configJson) ? read(configJson, TokenizerLoader::parseObject) : null;
        return build(root, tokenizerJson.toString(), config, configJson.toString());
    }

    static Tokenizer loadResources(String base) {
        String tokenizerJson = base + "tokenizer.json";
        String configJson = base + "tokenizer_config.json";
        TokenizerJson root = readResource(tokenizerJson, TokenizerLoader::parseTokenizerJson);
        if (root == null) {
            throw new TokenizerException("tokenizer resource not found on the classpath: " + tokenizerJson);
        }
        JsonNode config = readResource(configJson, TokenizerLoader::parseObject);
        return build(root, "classpath:" + tokenizerJson, config, "classpath:" + configJson);
    }

    /** A parse step that may fail with Jackson or I/O errors; the caller adds the file name. */
    private interface Parse<T> {
        T parse(JsonParser p) throws IOException;
    }

    private static <T> T read(Path file, Parse<T> parse) {
        try (InputStream in = Files.newInputStream(file)) {
            return parse(in, file.toString(), parse);
        } catch (NoSuchFileException e) {
            throw new TokenizerException("tokenizer file not found: " + file, e);
        } catch (IOException e) {
            throw new TokenizerException("cannot read tokenizer file " + file + ": " + e.getMessage(), e);
        }
    }

    /** Null when the resource does not exist. */
    private static <T> T readResource(String name, Parse<T> parse) {
        try (InputStream in = TokenizerLoader.class.getResourceAsStream(name)) {
            return in == null ? null : parse(in, "classpath:" + name, parse);
        } catch (IOException e) {
            throw new TokenizerException("cannot read tokenizer resource " + name + ": " + e.getMessage(), e);
        }
    }

    private static <T> T parse(InputStream in, String name, Parse<T> parse) throws IOException {
        try (JsonParser p = JSON.createParser(in)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new TokenizerException("malformed tokenizer file " + name + ": expected a JSON object");
            }
            T result = parse.parse(p);
            if (p.nextToken() != null) {
                throw new TokenizerException("malformed JSON in " + name + ": trailing content after the object");
            }
            return result;
        } catch (JacksonException e) {
            throw new TokenizerException("malformed JSON in " + name + ": " + e.getOriginalMessage(), e);
        } catch (TokenizerException e) {
            if (e.getMessage().contains(name)) {
                throw e;
            }
            throw new TokenizerException(e.getMessage() + " in " + name, e);
        }
    }

    private static JsonNode parseObject(JsonParser p) throws IOException {
        return JSON.readTree(p);
    }

    /**
     * tokenizer.json with the model's vocab and merges streamed straight into maps and arrays.
     * Building a Jackson tree of 150k vocab entries and 150k merge pairs first made loading take
     * well over a second on a cold JVM; everything else is small and kept as a tree.
     */
    private record TokenizerJson(ObjectNode root, ObjectNode model, Map<String, Integer> vocab,
                                 List<String> mergeLeft, List<String> mergeRight, boolean hasMerges) {}

    private static TokenizerJson parseTokenizerJson(JsonParser p) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode model = null;
        Map<String, Integer> vocab = null;
        List<String> left = new ArrayList<>();
        List<String> right = new ArrayList<>();
        boolean hasMerges = false;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken value = p.nextToken();
            if (!field.equals("model") || value != JsonToken.START_OBJECT) {
                root.set(field, JSON.readTree(p));
                continue;
            }
            model = JSON.createObjectNode();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String modelField = p.currentName();
                JsonToken t = p.nextToken();
                if (modelField.equals("vocab") && t == JsonToken.START_OBJECT) {
                    vocab = HashMap.newHashMap(200_000);
                    while (p.nextToken() == JsonToken.FIELD_NAME) {
                        String token = p.currentName();
                        if (p.nextToken() != JsonToken.VALUE_NUMBER_INT || p.getIntValue() < 0) {
                            throw new TokenizerException("vocab entry \"" + token + "\" has no valid id");
                        }
                        vocab.put(token, p.getIntValue());
                    }
                } else if (modelField.equals("merges") && t == JsonToken.START_ARRAY) {
                    hasMerges = true;
                    while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
                        readMerge(p, t, left.size(), left, right);
                    }
                } else {
                    model.set(modelField, JSON.readTree(p));
                }
            }
        }
        return new TokenizerJson(root, model, vocab, left, right, hasMerges);
    }

    /** A merge is either the legacy string "a b" or the pair ["a", "b"]. */
    private static void readMerge(JsonParser p, JsonToken t, int index, List<String> left, List<String> right)
            throws IOException {
        if (t == JsonToken.VALUE_STRING) {
            // Split at the space: byte-level tokens never contain a raw space (it is spelled 'Ġ').
            String s = p.getText();
            int sp = s.indexOf(' ');
            if (sp < 0 || s.indexOf(' ', sp + 1) >= 0) {
                throw new TokenizerException("merge " + index + " \"" + s + "\" is not \"a b\"");
            }
            left.add(s.substring(0, sp));
            right.add(s.substring(sp + 1));
        } else if (t == JsonToken.START_ARRAY) {
            String a = p.nextToken() == JsonToken.VALUE_STRING ? p.getText() : null;
            String b = a != null && p.nextToken() == JsonToken.VALUE_STRING ? p.getText() : null;
            if (b == null || p.nextToken() != JsonToken.END_ARRAY) {
                throw new TokenizerException("merge " + index + " is not a pair [\"a\", \"b\"]");
            }
            left.add(a);
            right.add(b);
        } else {
            throw new TokenizerException("merge " + index + " is neither \"a b\" nor [\"a\", \"b\"]");
        }
    }

    private static Tokenizer build(TokenizerJson json, String file, JsonNode config, String configFile) {
        try {
            return buildUnchecked(json, file, config, configFile);
        } catch (RuntimeException e) {
            String message = e instanceof TokenizerException ? e.getMessage() : e.toString();
            if (message.contains(file) || message.contains(configFile)) {
                throw e;
            }
            throw new TokenizerException("invalid tokenizer file " + file + ": " + message, e);
        }
    }

    private static Tokenizer buildUnchecked(TokenizerJson json, String file, JsonNode config, String configFile) {
        JsonNode root = json.root();
        BpeModel model = readModel(json, file);
        TextNormalizer normalizer = readNormalizer(root.get("normalizer"), file);
        PreTokenizer preTokenizer = readPreTokenizer(root.get("pre_tokenizer"), file);
        checkDecoder(root.get("decoder"), file);

        // Added tokens by id; the config's added_tokens_decoder only contributes ids the file lacks.
        Map<Integer, AddedTokens.Token> added = new LinkedHashMap<>();
        for (JsonNode t : array(root, "added_tokens", file)) {
            AddedTokens.Token token = readAddedToken(t, t.path("id"), file);
            added.put(token.id(), token);
        }
        String eos = null;
        String pad = null;
        if (config != null) {
            JsonNode decoder = config.get("added_tokens_decoder");
            if (decoder != null && decoder.isObject()) {
                for (Map.Entry<String, JsonNode> e : decoder.properties()) {
                    JsonNode id;
                    try {
                        id = JSON.getNodeFactory().numberNode(Integer.parseInt(e.getKey()));
                    } catch (NumberFormatException ex) {
                        throw new TokenizerException("invalid added_tokens_decoder id \"" + e.getKey() + "\" in " + configFile);
                    }
                    AddedTokens.Token token = readAddedToken(e.getValue(), id, configFile);
                    added.putIfAbsent(token.id(), token);
                }
            }
            eos = tokenContent(config.get("eos_token"));
            pad = tokenContent(config.get("pad_token"));
        }

        List<AddedTokens.Token> raw = new ArrayList<>();
        List<AddedTokens.Token> normalized = new ArrayList<>();
        Map<String, Integer> addedByContent = new HashMap<>();
        int vocabSize = model.size();
        for (AddedTokens.Token t : added.values()) {
            (t.normalized() ? normalized : raw).add(t);
            addedByContent.putIfAbsent(t.content(), t.id());
            vocabSize = Math.max(vocabSize, t.id() + 1);
        }

        byte[][] idBytes = new byte[vocabSize][];
        boolean[] special = new boolean[vocabSize];
        for (int id = 0; id < model.size(); id++) {
            String token = model.idToToken(id);
            idBytes[id] = token == null ? new byte[0] : ByteLevelAlphabet.decode(token);
        }
        for (AddedTokens.Token t : added.values()) {
            // Added tokens stand for their text, not for alphabet-spelled bytes (see Tokenizer#tokenBytes).
            idBytes[t.id()] = t.content().getBytes(StandardCharsets.UTF_8);
            special[t.id()] = t.special();
        }
        for (int id = 0; id < vocabSize; id++) {
            if (idBytes[id] == null) {
                idBytes[id] = new byte[0];
            }
        }
        return new Tokenizer(normalizer, new AddedTokens(raw, s -> s), new AddedTokens(normalized, normalizer::apply),
                preTokenizer, model, addedByContent, idBytes, special, eos, pad);
    }

    /** Qwen2's pre-tokenizer regex, as Qwen's tokenizer.json gives it (llama.cpp calls this pre-tokenizer "qwen2"). */
    static final String QWEN2_PATTERN = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}"
            + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    /** llama.cpp's token types (gguf.TokenType). */
    static final int NORMAL = 1, UNKNOWN = 2, CONTROL = 3, USER_DEFINED = 4, UNUSED = 5, BYTE = 6;

    /**
     * A byte-level BPE tokenizer from a vocabulary given as lists, the way GGUF stores it: token i's text (normal
     * tokens spelled in GPT-2's byte alphabet, added tokens as their plain text), its llama.cpp type, and the merges
     * as "a b". Control tokens become special added tokens and user-defined ones non-special added tokens (both
     * matched in the raw text before BPE, as HF does for Qwen's); unused ids (padding) decode to nothing. The
     * normalizer (NFC) and pre-tokenizer are Qwen2's, as in Qwen's tokenizer.json.
     */
    static Tokenizer fromVocabulary(List<String> tokens, int[] types, List<String> merges, Integer eosId, Integer padId,
                                    String source) {
        if (types != null && types.length != tokens.size()) {
            throw new TokenizerException(source + ": " + tokens.size() + " tokens but " + types.length + " token types");
        }
        Map<String, Integer> vocab = new HashMap<>();
        List<AddedTokens.Token> added = new ArrayList<>();
        for (int id = 0; id < tokens.size(); id++) {
            int type = types == null ? NORMAL : types[id];
            switch (type) {
                case NORMAL, UNKNOWN, BYTE -> vocab.putIfAbsent(tokens.get(id), id);
                case CONTROL, USER_DEFINED -> added.add(new AddedTokens.Token(id, tokens.get(id), type == CONTROL,
                        false, false, false, false));
                case UNUSED -> {
                }
                default -> throw new TokenizerException(source + ": token " + id + " has unknown token type " + type);
            }
        }
        String[] left = new String[merges.size()];
        String[] right = new String[merges.size()];
        for (int i = 0; i < left.length; i++) {
            String m = merges.get(i);
            int sp = m.indexOf(' ');
            if (sp < 0 || m.indexOf(' ', sp + 1) >= 0) {
                throw new TokenizerException(source + ": merge " + i + " \"" + m + "\" is not \"a b\"");
            }
            left[i] = m.substring(0, sp);
            right[i] = m.substring(sp + 1);
        }
        BpeModel model;
        try {
            model = new BpeModel(vocab, left, right, -1, false);
        } catch (IllegalArgumentException e) {
            throw new TokenizerException(source + ": " + e.getMessage(), e);
        }
        TextNormalizer normalizer = new TextNormalizer(List.of(Normalizer.Form.NFC));
        PreTokenizer preTokenizer = new PreTokenizer(List.of(
                new PreTokenizer.Split(PreTokenizer.Split.compile(QWEN2_PATTERN), false, false)));
        byte[][] idBytes = new byte[tokens.size()][];
        boolean[] special = new boolean[tokens.size()];
        for (int id = 0; id < tokens.size(); id++) {
            Integer inVocab = vocab.get(tokens.get(id));
            idBytes[id] = inVocab != null && inVocab == id ? ByteLevelAlphabet.decode(tokens.get(id)) : new byte[0];
        }
        Map<String, Integer> addedByContent = new HashMap<>();
        for (AddedTokens.Token t : added) {
            idBytes[t.id()] = t.content().getBytes(StandardCharsets.UTF_8);
            special[t.id()] = t.special();
            addedByContent.putIfAbsent(t.content(), t.id());
        }
        return new Tokenizer(normalizer, new AddedTokens(added, x -> x), new AddedTokens(List.of(), normalizer::apply),
                preTokenizer, model, addedByContent, idBytes, special, tokenAt(tokens, eosId, "eos", source),
                tokenAt(tokens, padId, "padding", source));
    }

    private static String tokenAt(List<String> tokens, Integer id, String what, String source) {
        if (id == null) {
            return null;
        }
        if (id < 0 || id >= tokens.size()) {
            throw new TokenizerException(source + ": " + what + " token id " + id + " is outside the vocabulary of " + tokens.size());
        }
        return tokens.get(id);
    }

    private static BpeModel readModel(TokenizerJson json, String file) {
        JsonNode m = json.model();
        if (m == null) {
            throw new TokenizerException("no \"model\" object in " + file);
        }
        String type = m.path("type").asText("BPE");
        if (!type.equals("BPE")) {
            throw unsupported("model type " + type, file);
        }
        if (m.path("byte_fallback").asBoolean(false)) {
            throw unsupported("BPE byte_fallback", file);
        }
        if (!m.path("continuing_subword_prefix").asText("").isEmpty()
                || !m.path("end_of_word_suffix").asText("").isEmpty()) {
            throw unsupported("BPE continuing_subword_prefix / end_of_word_suffix", file);
        }
        Map<String, Integer> vocab = json.vocab();
        if (vocab == null) {
            throw new TokenizerException("no \"model.vocab\" object in " + file);
        }
        if (!json.hasMerges()) {
            throw new TokenizerException("no \"model.merges\" array in " + file);
        }
        String[] left = json.mergeLeft().toArray(new String[0]);
        String[] right = json.mergeRight().toArray(new String[0]);
        int unkId = -1;
        JsonNode unk = m.get("unk_token");
        if (unk != null && unk.isTextual()) {
            Integer id = vocab.get(unk.asText());
            if (id == null) {
                throw new TokenizerException("unk_token \"" + unk.asText() + "\" is not in the vocab of " + file);
            }
            unkId = id;
        }
        try {
            return new BpeModel(vocab, left, right, unkId, m.path("fuse_unk").asBoolean(false));
        } catch (IllegalArgumentException e) {
            throw new TokenizerException(e.getMessage() + " in " + file, e);
        }
    }

    private static TextNormalizer readNormalizer(JsonNode n, String file) {
        if (n == null || n.isNull()) {
            return TextNormalizer.NONE;
        }
        List<Normalizer.Form> forms = new ArrayList<>();
        collectForms(n, forms, file);
        return new TextNormalizer(forms);
    }

    private static void collectForms(JsonNode n, List<Normalizer.Form> forms, String file) {
        String type = n.path("type").asText("");
        switch (type) {
            case "NFC" -> forms.add(Normalizer.Form.NFC);
            case "NFD" -> forms.add(Normalizer.Form.NFD);
            case "NFKC" -> forms.add(Normalizer.Form.NFKC);
            case "NFKD" -> forms.add(Normalizer.Form.NFKD);
            case "Sequence" -> {
                for (JsonNode child : array(n, "normalizers", file)) {
                    collectForms(child, forms, file);
                }
            }
            default -> throw unsupported("normalizer " + n, file);
        }
    }

    private static PreTokenizer readPreTokenizer(JsonNode n, String file) {
        List<JsonNode> steps = new ArrayList<>();
        if (n != null && n.path("type").asText("").equals("Sequence")) {
            array(n, "pretokenizers", file).forEach(steps::add);
        } else if (n != null && !n.isNull()) {
            steps.add(n);
        }
        if (steps.isEmpty() || !steps.getLast().path("type").asText("").equals("ByteLevel")) {
            // The model works on byte-alphabet strings, so ByteLevel must be the last step.
            throw unsupported("pre_tokenizer without a final ByteLevel step", file);
        }
        List<PreTokenizer.Split> splits = new ArrayList<>();
        for (JsonNode step : steps.subList(0, steps.size() - 1)) {
            if (!step.path("type").asText("").equals("Split")) {
                throw unsupported("pre_tokenizer " + step.path("type").asText(), file);
            }
            JsonNode pattern = step.path("pattern");
            String regex;
            if (pattern.hasNonNull("Regex")) {
                regex = pattern.get("Regex").asText();
            } else if (pattern.hasNonNull("String")) {
                regex = java.util.regex.Pattern.quote(pattern.get("String").asText());
            } else {
                throw new TokenizerException("Split pre_tokenizer without a pattern in " + file);
            }
            String behavior = step.path("behavior").asText("");
            boolean removed = switch (behavior) {
                case "Isolated" -> false;
                case "Removed" -> true;
                default -> throw unsupported("Split behavior " + behavior, file);
            };
            try {
                splits.add(new PreTokenizer.Split(PreTokenizer.Split.compile(regex), removed,
                        step.path("invert").asBoolean(false)));
            } catch (java.util.regex.PatternSyntaxException e) {
                throw new TokenizerException("Split pattern does not compile in " + file + ": " + e.getMessage(), e);
            }
        }
        JsonNode byteLevel = steps.getLast();
        if (byteLevel.path("add_prefix_space").asBoolean(false)) {
            throw unsupported("ByteLevel add_prefix_space=true", file);
        }
        if (byteLevel.path("use_regex").asBoolean(true)) {
            splits.add(PreTokenizer.Split.isolated(PreTokenizer.GPT2_PATTERN));
        }
        return new PreTokenizer(splits);
    }

    private static void checkDecoder(JsonNode n, String file) {
        if (n == null || !n.path("type").asText("").equals("ByteLevel")) {
            throw unsupported("decoder " + n, file);
        }
    }

    private static AddedTokens.Token readAddedToken(JsonNode t, JsonNode id, String file) {
        if (!id.canConvertToInt() || id.asInt() < 0 || !t.path("content").isTextual()) {
            throw new TokenizerException("added token without a valid id and content in " + file + ": " + t);
        }
        boolean special = t.path("special").asBoolean(false);
        return new AddedTokens.Token(id.asInt(), t.get("content").asText(), special,
                t.path("single_word").asBoolean(false), t.path("lstrip").asBoolean(false),
                t.path("rstrip").asBoolean(false), t.path("normalized").asBoolean(!special));
    }

    /** A special-token setting is either the token text or an AddedToken object with "content". */
    private static String tokenContent(JsonNode n) {
        if (n == null || n.isNull()) {
            return null;
        }
        if (n.isTextual()) {
            return n.asText();
        }
        JsonNode content = n.get("content");
        return content != null && content.isTextual() ? content.asText() : null;
    }

    private static Iterable<JsonNode> array(JsonNode parent, String field, String file) {
        JsonNode a = parent.get(field);
        if (a == null || a.isNull()) {
            return List.of();
        }
        if (!a.isArray()) {
            throw new TokenizerException("\"" + field + "\" is not an array in " + file);
        }
        return a;
    }

    private static TokenizerException unsupported(String what, String file) {
        return new TokenizerException("unsupported " + what + " in " + file
                + " (only byte-level BPE tokenizers like Qwen3's are implemented)");
    }
}

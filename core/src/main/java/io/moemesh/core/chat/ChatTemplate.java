package io.moemesh.core.chat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A Hugging Face chat template, interpreted as Python jinja2 interprets it inside transformers'
 * {@code apply_chat_template}: an ImmutableSandboxedEnvironment with trim_blocks and lstrip_blocks on,
 * the loopcontrols extension (break/continue), the {@code generation} tag, {@code tojson} as
 * {@code json.dumps(ensure_ascii=False)}, and the {@code raise_exception} / {@code strftime_now}
 * globals. The template text is interpreted as shipped, so fine-tuned models' own templates work
 * without rewriting.
 *
 * <p>Parsing happens once; a ChatTemplate is immutable and renders concurrently.
 */
public final class ChatTemplate {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> SPECIAL_TOKENS = List.of("bos_token", "eos_token", "unk_token", "pad_token");

    private final String source;
    private final SourceText text;
    private final List<Node> body;
    private final Interpreter interpreter;
    private final Map<String, String> specialTokens;
    private final Clock clock;

    private ChatTemplate(String source, SourceText text, List<Node> body, Map<String, String> specialTokens, Clock clock) {
        this.source = source;
        this.text = text;
        this.body = body;
        this.interpreter = new Interpreter(text);
        this.specialTokens = Collections.unmodifiableMap(new LinkedHashMap<>(specialTokens));
        this.clock = clock;
    }

    /**
     * Parses a template.
     *
     * @throws ChatTemplateException on a syntax error, naming line and column
     */
    public static ChatTemplate parse(String templateSource) {
        return parse(templateSource, Map.of());
    }

    static ChatTemplate parse(String templateSource, Map<String, String> specialTokens) {
        Objects.requireNonNull(templateSource, "templateSource");
        SourceText text = SourceText.of(templateSource);
        List<Token> tokens = new Lexer(text, true, true).tokenize();
        List<Node> body = new Parser(text, tokens).parseTemplate();
        return new ChatTemplate(templateSource, text, body, specialTokens, Clock.systemDefaultZone());
    }

    /**
     * Loads the template of a Hugging Face tokenizer: {@code chat_template} from tokenizer_config.json,
     * either a string or the list-of-{name, template} form (the one named "default" is used), together
     * with the bos/eos/unk/pad token strings that transformers passes to the template. As in
     * transformers, a {@code chat_template.jinja} file next to the config takes precedence over the
     * config's own entry.
     *
     * @throws ChatTemplateException when there is no usable template or it does not parse
     * @throws java.io.UncheckedIOException when the file cannot be read
     */
    public static ChatTemplate fromTokenizerConfig(Path tokenizerConfigJson) {
        JsonNode config;
        try {
            config = JSON.readTree(Files.readString(tokenizerConfigJson, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot read " + tokenizerConfigJson, e);
        }
        Path sibling = tokenizerConfigJson.toAbsolutePath().resolveSibling("chat_template.jinja");
        String template = null;
        if (Files.isRegularFile(sibling)) {
            try {
                template = Files.readString(sibling, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException("cannot read " + sibling, e);
            }
        }
        return fromConfig(config, template, tokenizerConfigJson.toString());
    }

    /** Qwen3's own template (tokenizer_config.json shipped in this jar), for models that bring none. */
    public static ChatTemplate embeddedQwen3() {
        String resource = "/io/moemesh/core/tokenizer/qwen3/tokenizer_config.json";
        try (var in = ChatTemplate.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new ChatTemplateException("resource " + resource + " is missing from the jar");
            }
            return fromConfig(JSON.readTree(in), null, resource);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot read " + resource, e);
        }
    }

    /** @param templateOverride a chat_template.jinja's text, which wins over the config's entry; or null */
    private static ChatTemplate fromConfig(JsonNode config, String templateOverride, String where) {
        Map<String, String> tokens = new LinkedHashMap<>();
        for (String name : SPECIAL_TOKENS) {
            String value = tokenString(config.get(name));
            if (value != null) {
                tokens.put(name, value);
            }
        }
        String template = templateOverride != null ? templateOverride : selectTemplate(config.get("chat_template"), where);
        return parse(template, tokens);
    }

    private static String selectTemplate(JsonNode node, String file) {
        if (node == null || node.isNull()) {
            throw new ChatTemplateException(file + " has no chat_template");
        }
        if (node.isTextual()) {
            return node.textValue();
        }
        if (node.isArray()) {
            for (JsonNode entry : node) {
                if ("default".equals(entry.path("name").asText(null)) && entry.path("template").isTextual()) {
                    return entry.get("template").textValue();
                }
            }
            throw new ChatTemplateException(file + " has several chat templates and none is named \"default\"");
        }
        throw new ChatTemplateException(file + ": chat_template must be a string or a list of {name, template}");
    }

    /** A special token in tokenizer_config.json: a string, or an AddedToken object with "content". */
    private static String tokenString(JsonNode node) {
        if (node == null || node.isNull()) {
            return null;
        }
        if (node.isTextual()) {
            return node.textValue();
        }
        JsonNode content = node.get("content");
        return content != null && content.isTextual() ? content.textValue() : null;
    }

    /** This template with "now" taken from the given clock (for {@code strftime_now}); for tests. */
    ChatTemplate withClock(Clock newClock) {
        return new ChatTemplate(source, text, body, specialTokens, newClock);
    }

    /** The template text as given. */
    public String source() {
        return source;
    }

    /** bos/eos/unk/pad token strings read from the tokenizer config (empty for {@link #parse}). */
    public Map<String, String> specialTokens() {
        return specialTokens;
    }

    /**
     * Renders with the given variables. Values are plain Java: Map, List, String, Number, Boolean,
     * null (or Jackson JsonNode trees).
     *
     * @throws ChatTemplateException on a runtime error or when the template calls raise_exception
     */
    public String render(Map<String, Object> context) {
        Objects.requireNonNull(context, "context");
        Scope globals = new Scope(null);
        Globals.create(clock).forEach(globals::set);
        Scope variables = globals.child();
        context.forEach((k, v) -> variables.set(k, Values.fromJava(v)));
        try {
            return interpreter.render(body, variables.child());
        } catch (StackOverflowError e) {
            // a macro recursing without end; Python stops it with RecursionError
            throw new ChatTemplateException("maximum recursion depth exceeded", e);
        }
    }

    /**
     * Renders a chat request with the variables transformers' apply_chat_template passes: messages,
     * tools (None when absent, as transformers passes {@code tools=None}), documents (None),
     * add_generation_prompt, enable_thinking only when set, and the special tokens.
     */
    public String render(ChatRequest request) {
        Objects.requireNonNull(request, "request");
        Map<String, Object> context = new LinkedHashMap<>(specialTokens);
        context.put("messages", request.messages());
        context.put("tools", request.tools());
        context.put("documents", null);
        context.put("add_generation_prompt", request.addGenerationPrompt());
        if (request.enableThinking() != null) {
            context.put("enable_thinking", request.enableThinking());
        }
        return render(context);
    }
}

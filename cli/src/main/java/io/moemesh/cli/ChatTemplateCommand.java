package io.moemesh.cli;

import io.moemesh.core.chat.ChatRequest;
import io.moemesh.core.chat.ChatTemplate;
import io.moemesh.core.tokenizer.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "chat-template", mixinStandardHelpOptions = true,
        description = {"Render a chat request through the chat_template of tokenizer_config.json and print "
                        + "{\"prompt\": \"...\", \"ids\": [...]}. The request is a JSON object with messages, optional tools, "
                        + "optional enable_thinking."})
final class ChatTemplateCommand implements Callable<Integer> {
    @Option(names = "--tokenizer", paramLabel = "DIR",
            description = "Directory with tokenizer.json and tokenizer_config.json (default: Qwen3's).")
    Path tokenizer;

    @Option(names = "--request", required = true, paramLabel = "FILE.json")
    Path request;

    @Override
    public Integer call() {
        String json;
        try {
            json = Files.readString(request);
        } catch (IOException e) {
            throw new IllegalArgumentException(request + ": cannot read: " + e.getMessage(), e);
        }
        ChatRequest chat = ChatRequest.fromJson(json);
        ChatTemplate template = tokenizer != null ? ChatTemplate.fromTokenizerConfig(tokenizer.resolve("tokenizer_config.json"))
                : ChatTemplate.embeddedQwen3();
        Tokenizer t = tokenizer != null ? Tokenizer.load(tokenizer) : Tokenizer.embeddedQwen3();
        String prompt = template.render(chat);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("prompt", prompt);
        out.put("ids", t.encode(prompt));
        Output.println(Json.line(out));
        return 0;
    }
}

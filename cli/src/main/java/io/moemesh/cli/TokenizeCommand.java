package io.moemesh.cli;

import io.moemesh.core.tokenizer.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "tokenize", mixinStandardHelpOptions = true,
        description = "Print the token ids of a text as {\"ids\":[...]} (no special tokens added).")
final class TokenizeCommand implements Callable<Integer> {
    @Option(names = "--tokenizer", paramLabel = "DIR", description = "Directory with tokenizer.json (default: Qwen3's).")
    Path tokenizer;

    @Option(names = "--text", required = true, paramLabel = "TEXT")
    String text;

    @Override
    public Integer call() {
        Tokenizer t = tokenizer != null ? Tokenizer.load(tokenizer) : Tokenizer.embeddedQwen3();
        Output.println(Json.line(Map.of("ids", t.encode(text))));
        return 0;
    }
}

package io.moemesh.cli;

import io.moemesh.core.chat.ChatRequest;
import io.moemesh.core.chat.ModelText;
import io.moemesh.core.config.Qwen3Config;
import io.moemesh.core.engine.GenerationResult;
import io.moemesh.core.engine.Generator;
import io.moemesh.core.sampling.SamplingParams;
import io.moemesh.core.tokenizer.IncrementalDecoder;
import io.moemesh.core.tokenizer.Tokenizer;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.IntPredicate;

/** Prefill + decode, streaming the text as it is generated (or the ids as JSON with --ids). */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = {"Generate a continuation of a prompt (text or token ids) and stream it to stdout.",
                "Sampling defaults to Qwen3's recommended settings (T 0.6, top-p 0.95, top-k 20; with --no-think "
                        + "T 0.7, top-p 0.8, top-k 20, presence penalty 1.5). --temperature 0 is greedy."})
final class GenerateCommand implements Callable<Integer> {
    @Mixin
    ModelOptions modelOptions;

    static final class Input {
        @Option(names = "--prompt", paramLabel = "TEXT", description = "Prompt text (raw, or a user message with --chat).")
        String prompt;

        @Option(names = "--input-ids", paramLabel = "IDS", converter = TokenIds.Converter.class,
                description = "Prompt as comma-separated token ids.")
        TokenIds inputIds;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Input input;

    @Option(names = "--max-new-tokens", defaultValue = "64", paramLabel = "N", description = "Tokens to generate at most (default ${DEFAULT-VALUE}).")
    int maxNewTokens;

    @Option(names = "--chat", description = "Render --prompt as a user message through the model's chat template.")
    boolean chat;

    @Option(names = "--no-think", description = "With --chat: enable_thinking=false (Qwen3's non-thinking mode).")
    boolean noThink;

    @Option(names = "--temperature", paramLabel = "T") Double temperature;
    @Option(names = "--top-p", paramLabel = "P") Double topP;
    @Option(names = "--top-k", paramLabel = "K", description = "0 or -1 disables.") Integer topK;
    @Option(names = "--min-p", paramLabel = "P") Double minP;
    @Option(names = "--presence-penalty", paramLabel = "X") Double presencePenalty;
    @Option(names = "--frequency-penalty", paramLabel = "X") Double frequencyPenalty;
    @Option(names = "--repetition-penalty", paramLabel = "X") Double repetitionPenalty;
    @Option(names = "--seed", paramLabel = "S", description = "Makes sampling reproducible.") Long seed;

    @Option(names = "--ignore-eos", description = "Do not stop at the model's end-of-sequence tokens.")
    boolean ignoreEos;

    @Option(names = "--ids", description = "Print one JSON line {\"generated_ids\":[prompt + continuation]} instead of text.")
    boolean ids;

    @Mixin
    MeshOptions mesh;

    @Override
    public Integer call() {
        if (maxNewTokens < 0) {
            throw new IllegalArgumentException("--max-new-tokens must be >= 0, got " + maxNewTokens);
        }
        if (chat && input.prompt == null) {
            throw new IllegalArgumentException("--chat needs --prompt");
        }
        Path dir = modelOptions.modelDir();
        Tokenizer tokenizer = ModelOptions.tokenizerFor(dir);
        int[] prompt = input.inputIds != null ? input.inputIds.ids() : tokenizer.encode(promptText(dir));
        SamplingParams params = sampling();
        PrintStream out = Output.OUT;
        IncrementalDecoder decoder = tokenizer.newDecoder(false);
        IntPredicate print = token -> {
            if (!ids) {
                out.print(decoder.push(token));
                out.flush();
            }
            return true;
        };
        int[] all;
        if (mesh.enabled()) {
            Qwen3Config c = Qwen3Config.load(dir.resolve("config.json"));
            ModelOptions.checkIds(prompt, c.vocabSize(), dir);
            List<Integer> generated = new java.util.ArrayList<>();
            long start = System.nanoTime();
            GatewayClient.Finish finish;
            try (LocalMesh m = LocalMesh.start(dir,
                    LocalMesh.Layout.forCommand(mesh.expertServices, mesh.replicas(), modelOptions.weights));
                 GatewayClient gateway = new GatewayClient(m.gatewayEndpoint())) {
                start = System.nanoTime();
                finish = gateway.generate(prompt, maxNewTokens, params, ignoreEos, token -> {
                    generated.add(token);
                    return print.test(token);
                });
            }
            if (finish.stopToken() >= 0) {
                generated.add(finish.stopToken());
            }
            all = java.util.stream.IntStream.concat(java.util.Arrays.stream(prompt),
                    generated.stream().mapToInt(Integer::intValue)).toArray();
            System.err.printf("[INFO] %d prompt tokens, %d generated through the mesh (%s) in %.1f s%n",
                    prompt.length, generated.size(), finish.reason(), (System.nanoTime() - start) / 1e9);
        } else {
            try (ModelOptions.Loaded loaded = modelOptions.open(prompt)) {
                Set<Integer> stops = ignoreEos ? Set.of() : ModelText.stopTokens(dir, tokenizer, loaded.checkpoint().config().eosTokenIds());
                GenerationResult result = new Generator(loaded.model()).generate(prompt, maxNewTokens, params, stops, print);
                all = result.allIds();
                System.err.printf("[INFO] %d prompt tokens, %d generated (%s); prefill %.1f tokens/s, decode %.1f tokens/s%n",
                        prompt.length, result.generatedIds().length, result.finishReason(),
                        result.prefillTokensPerSecond(), result.decodeTokensPerSecond());
            }
        }
        if (ids) {
            out.println(Json.line(Map.of("generated_ids", all)));
        } else {
            out.print(decoder.flush());
            out.println();
        }
        return 0;
    }

    private String promptText(Path dir) {
        if (!chat) {
            return input.prompt;
        }
        return ModelText.chatTemplate(dir).render(new ChatRequest(List.of(Map.of("role", "user", "content", input.prompt)), null, true,
                noThink ? Boolean.FALSE : null));
    }

    private SamplingParams sampling() {
        SamplingParams d = SamplingParams.qwen3Default(!noThink);
        return new SamplingParams(
                temperature != null ? temperature : d.temperature(),
                topK != null ? topK : d.topK(),
                topP != null ? topP : d.topP(),
                minP != null ? minP : d.minP(),
                presencePenalty != null ? presencePenalty : d.presencePenalty(),
                frequencyPenalty != null ? frequencyPenalty : d.frequencyPenalty(),
                repetitionPenalty != null ? repetitionPenalty : d.repetitionPenalty(),
                seed);
    }
}

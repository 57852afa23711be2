package io.moemesh.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.moemesh.core.embedded.EmbeddedModel;
import io.moemesh.core.tokenizer.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The serving path end to end, as clients see it: N concurrent streaming clients of POST /v1/chat/completions, each
 * sending requests one after the other, timed from the server-sent events they receive.
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Serving speed through the OpenAI API: at each --concurrency, that many "
                        + "clients stream chat completions at once (greedy, --max-tokens each). Reports "
                        + "aggregate completion tokens/s, per-stream tokens/s, time to first token "
                        + "p50/p99 and inter-token latency. Starts a gateway on the embedded default "
                        + "model (or --model) on a free loopback port, unless --url names a server."})
final class BenchServeCommand implements Callable<Integer> {
    @Mixin
    GatewayOptions gateway;

    @Option(names = "--url", paramLabel = "URL",
            description = "Bench a running server (e.g. http://127.0.0.1:8080) instead of starting a gateway.")
    String url;

    @Option(names = "--api-key", paramLabel = "KEY", description = "With --url: the server's API key (default $MOEMESH_API_KEY).")
    String apiKey;

    @Option(names = "--concurrency", split = ",", defaultValue = "1,8,32", paramLabel = "C",
            description = "Concurrent streams, one level after the other (default ${DEFAULT-VALUE}).")
    List<Integer> concurrency;

    @Option(names = "--prompt-tokens", defaultValue = "64", paramLabel = "N",
            description = "Tokens of prompt text per request, before the chat template (default ${DEFAULT-VALUE}).")
    int promptTokens;

    @Option(names = "--max-tokens", defaultValue = "64", paramLabel = "N",
            description = "Completion tokens per request; generation ignores end-of-sequence (default ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = "--requests-per-stream", defaultValue = "2", paramLabel = "N",
            description = "Requests each stream sends, one after the other (default ${DEFAULT-VALUE}).")
    int requestsPerStream;

    @Option(names = "--json", description = "One JSON object per concurrency level instead of the table.")
    boolean json;

    /** One concurrency level. Times in ms; itlP50Ms is NaN when no request had two tokens. */
    record Level(int concurrency, int requests, long completionTokens, int promptTokens, double wallSeconds,
                 double aggregateTps, double streamTpsP50, double ttftP50Ms, double ttftP99Ms, double itlP50Ms) {
    }

    @Override
    public Integer call() throws Exception {
        for (int c : concurrency) {
            if (c < 1) {
                throw new IllegalArgumentException("--concurrency levels must be at least 1, got " + c);
            }
        }
        if (promptTokens < 1 || maxTokens < 1 || requestsPerStream < 1) {
            throw new IllegalArgumentException("--prompt-tokens, --max-tokens and --requests-per-stream must be at least 1");
        }
        if (url != null && gateway.model != null) {
            throw new IllegalArgumentException("--url and --model exclude each other: --url benches the model its server serves");
        }
        MeshProcess server = null;
        Path dir = null;
        String base;
        try {
            if (url == null) {
                dir = gateway.modelDir();
                Path logs = EmbeddedModel.home().resolve("bench-serve").resolve("logs");
                Path root = Path.of(System.getProperty("moemesh.root", ".")).toAbsolutePath();
                server = MeshProcess.start(root, "gateway", "gateway", 0, gateway.config(dir), logs);
                progress("starting a gateway on " + server.endpoint() + " (log: " + server.log() + ")");
                server.awaitReady(Duration.ofMinutes(10));
                base = "http://" + server.endpoint();
            } else {
                base = url.replaceAll("/+$", "").replaceAll("/v1$", "");
            }
            Client client = new Client(base, ServeCommand.apiKey(apiKey, System.getenv("MOEMESH_API_KEY")));
            String model = client.modelId();
            Tokenizer tokenizer = dir != null ? ModelOptions.tokenizerFor(dir) : Tokenizer.embeddedQwen3();
            progress("benching " + model + " at " + base + "/v1");
            client.probe(model, prompt(tokenizer, 0, 0));
            int widest = concurrency.stream().mapToInt(Integer::intValue).max().orElse(1);
            progress("warming up: " + widest + " streams of " + Math.min(maxTokens, 16) + " tokens");
            runLevel(client, model, tokenizer, widest, 1, Math.min(maxTokens, 16));
            List<Level> levels = new ArrayList<>();
            for (int c : concurrency) {
                Level level = runLevel(client, model, tokenizer, c, requestsPerStream, maxTokens);
                levels.add(level);
                progress(String.format("concurrency %d: %.1f tokens/s, TTFT p50 %.1f ms", c, level.aggregateTps(), level.ttftP50Ms()));
            }
            print(levels, model, url != null ? base : dir.toString(), client.ignoreEos);
        } finally {
            if (server != null) {
                server.close();
            }
        }
        return 0;
    }

    /** {@code streams} clients at once, each sending {@code requests} requests in turn. */
    private Level runLevel(Client client, String model, Tokenizer tokenizer, int streams, int requests, int tokens)
            throws InterruptedException {
        ExecutorService pool = Executors.newFixedThreadPool(streams);
        try {
            long start = System.nanoTime();
            List<Future<List<ChatStream.Result>>> futures = new ArrayList<>();
            for (int s = 0; s < streams; s++) {
                int stream = s;
                List<String> prompts = new ArrayList<>();
                for (int r = 0; r < requests; r++) {
                    prompts.add(prompt(tokenizer, stream, r));
                }
                futures.add(pool.submit(() -> {
                    List<ChatStream.Result> results = new ArrayList<>();
                    for (String p : prompts) {
                        results.add(client.chat(model, p, tokens));
                    }
                    return results;
                }));
            }
            List<ChatStream.Result> results = new ArrayList<>();
            for (Future<List<ChatStream.Result>> f : futures) {
                try {
                    results.addAll(f.get());
                } catch (ExecutionException e) {
                    if (e.getCause() instanceof RuntimeException r) {
                        throw r;
                    }
                    throw new IllegalStateException(e.getCause());
                }
            }
            return level(streams, results, System.nanoTime() - start);
        } finally {
            pool.shutdownNow();
        }
    }

    static Level level(int concurrency, List<ChatStream.Result> results, long wallNanos) {
        long tokens = results.stream().mapToLong(ChatStream.Result::completionTokens).sum();
        double wall = wallNanos / 1e9;
        double[] streamTps = results.stream().mapToDouble(r -> r.completionTokens() / (r.totalNanos() / 1e9)).toArray();
        double[] ttft = results.stream().filter(r -> r.ttftNanos() >= 0).mapToDouble(r -> r.ttftNanos() / 1e6).toArray();
        double[] gaps = results.stream().flatMapToLong(r -> Arrays.stream(r.gapNanos())).mapToDouble(g -> g / 1e6).toArray();
        double[] prompt = results.stream().mapToDouble(ChatStream.Result::promptTokens).toArray();
        return new Level(concurrency, results.size(), tokens, (int) percentile(prompt, 0.5), wall, tokens / wall,
                percentile(streamTps, 0.5), percentile(ttft, 0.5), percentile(ttft, 0.99), percentile(gaps, 0.5));
    }

    /** Nearest-rank percentile (the largest value for p99 of fewer than 100 samples); NaN for none. */
    static double percentile(double[] values, double p) {
        if (values.length == 0) {
            return Double.NaN;
        }
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int rank = (int) Math.ceil(p * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }

    private static final String[] WORDS = ("The gateway embeds each token, runs attention, and sends the hidden state to "
            + "the router, which picks eight experts out of one hundred and twenty eight for every token and layer. "
            + "Experts live on different machines; each computes its part and the router adds the weighted results "
            + "before the next layer begins. Describe how batching many users at once changes the cost of a step, "
            + "and why memory bandwidth rather than arithmetic bounds decoding on processors without accelerators.")
            .split(" ");

    /** About {@code promptTokens} tokens of plain English, different for every stream and request. */
    String prompt(Tokenizer tokenizer, int stream, int request) {
        StringBuilder text = new StringBuilder();
        int word = (stream * 7 + request * 3) % WORDS.length;
        int[] ids;
        do {
            for (int i = 0; i < 16; i++) {
                text.append(text.isEmpty() ? "" : " ").append(WORDS[word++ % WORDS.length]);
            }
            ids = tokenizer.encode(text.toString());
        } while (ids.length < promptTokens);
        return tokenizer.decode(Arrays.copyOf(ids, promptTokens)).strip();
    }

    /** The OpenAI API of one server, over HTTP/1.1 (one connection per concurrent stream, as most clients do). */
    static final class Client {
        private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10)).build();
        private final String base;
        private final String apiKey;
        /** The vLLM extension that keeps generating past end-of-sequence; dropped if the server refuses it. */
        volatile boolean ignoreEos = true;

        Client(String base, String apiKey) {
            this.base = base;
            this.apiKey = apiKey;
        }

        private HttpRequest.Builder request(String path) {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofMinutes(10));
            if (apiKey != null) {
                b.header("Authorization", "Bearer " + apiKey);
            }
            return b;
        }

        /** The first model GET /v1/models lists. */
        String modelId() {
            HttpResponse<String> r = send(request("/v1/models").GET().build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                throw new IllegalArgumentException("GET " + base + "/v1/models answered " + r.statusCode() + ": " + r.body());
            }
            try {
                JsonNode models = Json.MAPPER.readTree(r.body()).path("data");
                if (!models.has(0)) {
                    throw new IllegalArgumentException("GET " + base + "/v1/models lists no model: " + r.body());
                }
                return models.get(0).path("id").asText();
            } catch (IOException e) {
                throw new UncheckedIOException("GET " + base + "/v1/models: not JSON: " + r.body(), e);
            }
        }

        /** A response and when its request was sent: the clock of time to first token starts before the send. */
        private record Sent(HttpResponse<Stream<String>> response, long sentNanos) {
        }

        /** One short request: checks the endpoint, and drops ignore_eos if the server refuses it (400/422). */
        void probe(String model, String prompt) {
            Sent r = post(model, prompt, 2);
            int status = r.response().statusCode();
            if ((status == 400 || status == 422) && ignoreEos) {
                String body = r.response().body().collect(Collectors.joining("\n"));
                ignoreEos = false;
                Sent again = post(model, prompt, 2);
                if (again.response().statusCode() != 200) {
                    again.response().body().close();
                    throw new IllegalArgumentException("POST " + base + "/v1/chat/completions answered " + status + ": " + body);
                }
                progress("the server refused ignore_eos (" + body.strip() + "); relying on max_tokens");
                r = again;
            }
            consume(r);
        }

        ChatStream.Result chat(String model, String prompt, int maxTokens) {
            return consume(post(model, prompt, maxTokens));
        }

        private Sent post(String model, String prompt, int maxTokens) {
            ObjectNode body = Json.MAPPER.createObjectNode();
            body.put("model", model);
            body.putArray("messages").addObject().put("role", "user").put("content", prompt);
            body.put("stream", true);
            body.putObject("stream_options").put("include_usage", true);
            body.put("max_tokens", maxTokens);
            body.put("temperature", 0);
            if (ignoreEos) {
                body.put("ignore_eos", true);
            }
            // Qwen3 would otherwise think first: the tokens would be there either way, but a real answer is the case timed.
            body.putObject("chat_template_kwargs").put("enable_thinking", false);
            HttpRequest request = request("/v1/chat/completions").header("Content-Type", "application/json")
                    .header("Accept", "text/event-stream")
                    .POST(HttpRequest.BodyPublishers.ofString(Json.line(body))).build();
            long sent = System.nanoTime();
            return new Sent(send(request, HttpResponse.BodyHandlers.ofLines()), sent);
        }

        /** Reads the event stream as it arrives, timing each line. */
        private ChatStream.Result consume(Sent sent) {
            HttpResponse<Stream<String>> r = sent.response();
            try (Stream<String> lines = r.body()) {
                if (r.statusCode() != 200) {
                    throw new IllegalArgumentException("POST " + base + "/v1/chat/completions answered " + r.statusCode()
                            + ": " + lines.collect(Collectors.joining("\n")));
                }
                ChatStream stream = new ChatStream(sent.sentNanos());
                lines.forEach(line -> stream.line(line, System.nanoTime()));
                return stream.finish(System.nanoTime());
            } catch (IllegalStateException | UncheckedIOException e) {
                throw new IllegalArgumentException("POST " + base + "/v1/chat/completions: " + e.getMessage(), e);
            }
        }

        private <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler) {
            try {
                return http.send(request, handler);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot reach " + request.uri() + ": "
                        + (e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName()), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
        }
    }

    private void print(List<Level> levels, String model, String servedFrom, boolean ignoreEos) {
        if (!json) {
            System.out.printf("%11s %8s %10s %13s %12s %12s %11s%n", "concurrency", "requests", "agg tok/s",
                    "stream tok/s", "TTFT p50 ms", "TTFT p99 ms", "ITL p50 ms");
        }
        for (Level l : levels) {
            if (json) {
                Map<String, Object> j = new LinkedHashMap<>();
                j.put("bench", "serve");
                j.put("model", model);
                j.put("concurrency", l.concurrency());
                j.put("requests", l.requests());
                j.put("prompt_tokens", l.promptTokens());
                j.put("completion_tokens", l.completionTokens());
                j.put("wall_s", round(l.wallSeconds()));
                j.put("aggregate_tps", round(l.aggregateTps()));
                j.put("stream_tps_p50", round(l.streamTpsP50()));
                j.put("ttft_p50_ms", round(l.ttftP50Ms()));
                j.put("ttft_p99_ms", round(l.ttftP99Ms()));
                j.put("itl_p50_ms", Double.isNaN(l.itlP50Ms()) ? null : round(l.itlP50Ms()));
                System.out.println(Json.line(j));
            } else {
                System.out.printf("%11d %8d %10.1f %13.1f %12.1f %12.1f %11s%n", l.concurrency(), l.requests(),
                        l.aggregateTps(), l.streamTpsP50(), l.ttftP50Ms(), l.ttftP99Ms(),
                        Double.isNaN(l.itlP50Ms()) ? "-" : String.format("%.1f", l.itlP50Ms()));
            }
        }
        if (!json) {
            int prompt = levels.isEmpty() ? -1 : levels.getFirst().promptTokens();
            System.out.println();
            System.out.println("Model " + model + " (" + servedFrom + "). Each request: about " + promptTokens
                    + " tokens of text (" + (prompt > 0 ? prompt + " after the chat template" : "prompt size not reported")
                    + "), " + maxTokens + " completion tokens, greedy, thinking off" + (ignoreEos ? ", ignore_eos" : ", until max_tokens or end-of-sequence")
                    + "; " + requestsPerStream + " requests per stream, one after the other.");
            System.out.println("agg tok/s: completion tokens of all streams / wall time of the level. stream tok/s: median over"
                    + " requests of completion tokens / request time. TTFT: request sent -> first chunk with text. ITL: gap"
                    + " between chunks with text.");
        }
    }

    private static double round(double v) {
        return Math.round(v * 100) / 100.0;
    }

    private static void progress(String message) {
        System.err.println("[INFO] " + message);
    }
}

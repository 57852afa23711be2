package io.moemesh.core.placement;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Tokens the router sent to each (layer, expert) over some period: the load the placement planner balances. A dense
 * layer (or one the router never saw) is a row of zeros.
 *
 * <p>Read from either export of the router-service, told apart by their first character: its JSON
 * ({@code GET /expert-load}: {@code {"layers":L,"experts":E,"tokens":[[...],...]}}, {@code tokens[layer][expert]},
 * other fields ignored) or its Prometheus text ({@code /q/metrics}, the {@value #METRIC} counters).
 */
public final class ExpertLoad {
    /** The router's per-(layer, expert) token counter, as Prometheus names it. */
    public static final String METRIC = "moemesh_router_expert_tokens_total";
    /** For {@link #parse}'s layers and experts: take the shape from the load itself. */
    public static final int FROM_LOAD = 0;

    private static final ObjectMapper JSON = new ObjectMapper();

    private final double[][] tokens;

    private ExpertLoad(double[][] tokens) {
        this.tokens = tokens;
    }

    /** A load from {@code tokens[layer][expert]}: at least one layer and one expert, the same experts in every layer. */
    public static ExpertLoad of(double[][] tokens) {
        if (tokens.length == 0 || tokens[0].length == 0) {
            throw new IllegalArgumentException("the load needs at least one layer and one expert");
        }
        double[][] copy = new double[tokens.length][];
        for (int layer = 0; layer < tokens.length; layer++) {
            if (tokens[layer].length != tokens[0].length) {
                throw new IllegalArgumentException("tokens[" + layer + "] has " + tokens[layer].length
                        + " experts, tokens[0] has " + tokens[0].length);
            }
            for (int expert = 0; expert < tokens[layer].length; expert++) {
                checkCount(tokens[layer][expert], "tokens[" + layer + "][" + expert + "]");
            }
            copy[layer] = tokens[layer].clone();
        }
        return new ExpertLoad(copy);
    }

    /** Reads a load file in either form; {@code layers}/{@code experts} as in {@link #parse}. */
    public static ExpertLoad read(Path file, int layers, int experts) throws IOException {
        return parse(Files.readString(file, StandardCharsets.UTF_8), layers, experts);
    }

    /**
     * Parses either form. {@code layers} and {@code experts} are the model's shape, or {@link #FROM_LOAD}: JSON states
     * its own (which must then agree), Prometheus text only shows the counters the router has created, one per
     * (layer, expert) that got tokens, so without them the shape is the largest index seen + 1.
     */
    public static ExpertLoad parse(String text, int layers, int experts) {
        String start = text.stripLeading();
        if (start.isEmpty()) {
            throw new IllegalArgumentException("the load is empty");
        }
        ExpertLoad load = start.charAt(0) == '{' || start.charAt(0) == '['
                ? parseJson(text)
                : parsePrometheus(text, layers, experts);
        if (layers != FROM_LOAD && load.layers() != layers) {
            throw new IllegalArgumentException("the load has " + load.layers() + " layers, not the " + layers + " asked for");
        }
        if (experts != FROM_LOAD && load.experts() != experts) {
            throw new IllegalArgumentException("the load has " + load.experts() + " experts per layer, not the " + experts
                    + " asked for");
        }
        return load;
    }

    private static ExpertLoad parseJson(String text) {
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            String where = e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ")";
            throw new IllegalArgumentException("not valid JSON: " + e.getOriginalMessage() + where);
        }
        if (!root.isObject()) {
            throw new IllegalArgumentException("expected a JSON object {\"layers\":L,\"experts\":E,\"tokens\":[[...]]}");
        }
        int layers = positiveInt(root, "layers");
        int experts = positiveInt(root, "experts");
        JsonNode rows = root.get("tokens");
        if (rows == null || !rows.isArray() || rows.size() != layers) {
            throw new IllegalArgumentException("\"tokens\" must be an array of " + layers + " rows (one per layer), got "
                    + (rows == null ? "none" : rows.isArray() ? rows.size() + " rows" : rows.getNodeType()));
        }
        double[][] tokens = new double[layers][experts];
        for (int layer = 0; layer < layers; layer++) {
            JsonNode row = rows.get(layer);
            if (!row.isArray() || row.size() != experts) {
                throw new IllegalArgumentException("tokens[" + layer + "] must be an array of " + experts
                        + " token counts, got " + (row.isArray() ? row.size() + " of them" : row.getNodeType()));
            }
            for (int expert = 0; expert < experts; expert++) {
                JsonNode count = row.get(expert);
                if (!count.isNumber()) {
                    throw new IllegalArgumentException("tokens[" + layer + "][" + expert + "] is not a number: " + count);
                }
                tokens[layer][expert] = checkCount(count.asDouble(), "tokens[" + layer + "][" + expert + "]");
            }
        }
        return new ExpertLoad(tokens);
    }

    private static int positiveInt(JsonNode root, String field) {
        JsonNode n = root.get(field);
        if (n == null || !n.canConvertToInt() || !n.isIntegralNumber() || n.asInt() < 1) {
            throw new IllegalArgumentException("\"" + field + "\" must be a whole number >= 1, got " + n);
        }
        return n.asInt();
    }

    private static ExpertLoad parsePrometheus(String text, int layers, int experts) {
        var samples = PrometheusSamples.parse(text, METRIC);
        if (samples.isEmpty()) {
            throw new IllegalArgumentException("no " + METRIC + " samples: expected the router's JSON load or its "
                    + "Prometheus metrics (/q/metrics)");
        }
        int[][] index = new int[samples.size()][];
        int maxLayer = -1;
        int maxExpert = -1;
        for (int i = 0; i < samples.size(); i++) {
            var s = samples.get(i);
            index[i] = new int[] {s.intLabel("layer"), s.intLabel("expert")};
            maxLayer = Math.max(maxLayer, index[i][0]);
            maxExpert = Math.max(maxExpert, index[i][1]);
        }
        int shapeLayers = layers != FROM_LOAD ? layers : maxLayer + 1;
        int shapeExperts = experts != FROM_LOAD ? experts : maxExpert + 1;
        double[][] tokens = new double[shapeLayers][shapeExperts];
        for (int i = 0; i < samples.size(); i++) {
            var s = samples.get(i);
            int layer = index[i][0];
            int expert = index[i][1];
            if (layer >= shapeLayers || expert >= shapeExperts) {
                throw new IllegalArgumentException("line " + s.line() + ": layer " + layer + ", expert " + expert
                        + " lies outside the " + shapeLayers + " layers x " + shapeExperts + " experts asked for");
            }
            // Summed, not overwritten: scrapes of several router replicas concatenated add up to the fleet's load.
            tokens[layer][expert] += checkCount(s.value(), "line " + s.line());
        }
        return new ExpertLoad(tokens);
    }

    private static double checkCount(double tokens, String where) {
        if (!(tokens >= 0) || Double.isInfinite(tokens)) {
            throw new IllegalArgumentException(where + ": a token count must be a finite number >= 0, got " + tokens);
        }
        return tokens;
    }

    public int layers() {
        return tokens.length;
    }

    public int experts() {
        return tokens[0].length;
    }

    public double tokens(int layer, int expert) {
        return tokens[layer][expert];
    }

    /** One layer's tokens per expert (a copy). */
    public double[] layer(int layer) {
        return tokens[layer].clone();
    }

    public double layerTokens(int layer) {
        double sum = 0;
        for (double t : tokens[layer]) {
            sum += t;
        }
        return sum;
    }

    public double totalTokens() {
        double sum = 0;
        for (int layer = 0; layer < tokens.length; layer++) {
            sum += layerTokens(layer);
        }
        return sum;
    }
}

package io.moemesh.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.moemesh.core.placement.HostedRange;
import io.moemesh.core.placement.LayerExpert;
import io.moemesh.core.placement.ZipfLoads;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/** {@code ./moe-mesh plan} in a second JVM: the values it writes, read back as the Helm chart would. */
class PlanCommandTest {
    private static final int LAYERS = 6;
    private static final int EXPERTS = 32;
    private static final double[][] TOKENS = ZipfLoads.tokens(LAYERS, EXPERTS, 1.2, true, 11);
    private static final Pattern HEADER = Pattern.compile(
            "# written by \\./moe-mesh plan: .*; imbalance \\(max/mean load per replica\\) before (\\d+\\.\\d\\d), after (\\d+\\.\\d\\d)");
    private static final Pattern GROUP = Pattern.compile("""
              - name: g\\d+
                hosted: "[0-9,;:-]+"
                replicas: \\d+
                minReplicas: 1
                maxReplicas: 3
                autoscaling:
                  enabled: true
                  targetTokensPerSecond: 2000
            """);

    @TempDir
    static Path dir;

    @Test
    void plansFromTheRoutersJsonIntoAValuesFile() throws IOException {
        Path load = Files.writeString(dir.resolve("load.json"), json(TOKENS));
        Path values = dir.resolve("values.yaml");
        CliProcess p = CliProcess.run(dir, "plan", "--load", load.toString(), "--groups", "4", "--max-replicas", "3",
                "--target-tokens-per-second", "2000", "--output", values.toString());
        assertEquals(0, p.exitCode(), p.stderr());
        assertEquals("", p.stdout(), "with --output, nothing on stdout");
        assertTrue(p.errors().contains("[INFO] wrote " + values), p.errors());
        assertPlanIsSound(Files.readString(values), p.errors(), 4);
    }

    @Test
    void plansFromPrometheusTextOntoStdoutAndAgreesWithTheJsonPlan() throws IOException {
        Path load = Files.writeString(dir.resolve("metrics.txt"), prometheus(TOKENS));
        CliProcess p = CliProcess.run(dir, "plan", "--load", load.toString(), "--groups", "4", "--max-replicas", "3",
                "--target-tokens-per-second", "2000");
        assertEquals(0, p.exitCode(), p.stderr());
        assertPlanIsSound(p.stdout(), p.errors(), 4);

        Path json = Files.writeString(dir.resolve("same-load.json"), json(TOKENS));
        CliProcess fromJson = CliProcess.run(dir, "plan", "--load", json.toString(), "--groups", "4", "--max-replicas",
                "3", "--target-tokens-per-second", "2000");
        assertEquals(withoutHeader(fromJson.stdout()), withoutHeader(p.stdout()), "one load, one plan, either form");
    }

    @Test
    void withoutATargetAutoscalingIsOffAndPrometheusGapsAreFilledByTheModelShape() throws IOException {
        // The last expert of every layer got no tokens, so the router never created its counter.
        double[][] tokens = new double[2][8];
        for (int l = 0; l < 2; l++) {
            for (int e = 0; e < 7; e++) {
                tokens[l][e] = 100 * (e + 1);
            }
        }
        Path load = Files.writeString(dir.resolve("gaps.txt"), prometheus(tokens));
        CliProcess p = CliProcess.run(dir, "plan", "--load", load.toString(), "--groups", "2", "--max-replicas", "2",
                "--experts", "8");
        assertEquals(0, p.exitCode(), p.stderr());
        JsonNode groups = yaml(p.stdout()).get("expertGroups");
        List<LayerExpert> hosted = new ArrayList<>();
        for (JsonNode g : groups) {
            assertFalse(g.get("autoscaling").get("enabled").asBoolean());
            assertNull(g.get("autoscaling").get("targetTokensPerSecond"));
            hosted.addAll(HostedRange.pairsOf(g.get("hosted").asText()));
        }
        assertTrue(hosted.contains(new LayerExpert(1, 7)), "expert 7 is hosted although it has no counter: " + hosted);
    }

    record Case(String expectedInMessage, String[] args) {
        @Override
        public String toString() {
            return String.join(" ", args);
        }
    }

    static Stream<Case> badInput() throws IOException {
        Path json = Files.writeString(dir.resolve("good.json"), json(TOKENS));
        Path zeros = Files.writeString(dir.resolve("zeros.json"), json(new double[3][8]));
        Path broken = Files.writeString(dir.resolve("broken.json"), "{\"layers\": 2, \"experts\": 8, \"tokens\": [[1,");
        Path shortRow = Files.writeString(dir.resolve("short.json"), "{\"layers\": 1, \"experts\": 3, \"tokens\": [[1, 2]]}");
        Path noMetric = Files.writeString(dir.resolve("other.txt"), "# TYPE up gauge\nup 1.0\n");
        String good = json.toString();
        return Stream.of(
                new Case("cannot read --load /no/such/load.json: no such file", args("/no/such/load.json", "4", "3")),
                new Case("not valid JSON", args(broken.toString(), "4", "3")),
                new Case("tokens[0] must be an array of 3 token counts", args(shortRow.toString(), "1", "3")),
                new Case("no moemesh_router_expert_tokens_total samples", args(noMetric.toString(), "1", "3")),
                new Case("every expert has 0 tokens", args(zeros.toString(), "2", "3")),
                new Case("--groups must be at least 1, got 0", args(good, "0", "3")),
                new Case("--groups 33 is more than the 32 experts per layer", args(good, "33", "3")),
                new Case("--max-replicas must be at least 1, got 0", args(good, "4", "0")),
                new Case("--min-replicas must be in 1..--max-replicas (3), got 4", concat(args(good, "4", "3"), "--min-replicas", "4")),
                new Case("--spare-slots must be >= 0, got -1", concat(args(good, "4", "3"), "--spare-slots", "-1")),
                new Case("--target-tokens-per-second must be at least 1", concat(args(good, "4", "3"), "--target-tokens-per-second", "0")),
                new Case("the load has 6 layers, not the 48 asked for", concat(args(good, "4", "3"), "--layers", "48")),
                new Case("Missing required option: '--groups=G'", new String[]{"plan", "--load", good, "--max-replicas", "3"}));
    }

    @ParameterizedTest
    @MethodSource("badInput")
    void badInputExitsTwoWithOneClearLine(Case c) {
        CliProcess p = CliProcess.run(dir, c.args());
        assertEquals(2, p.exitCode(), "exit code for " + c + ": " + p.stderr());
        String err = p.errors();
        assertTrue(err.startsWith("error: "), "first line starts with 'error: ': " + err);
        assertTrue(err.lines().findFirst().orElseThrow().contains(c.expectedInMessage()),
                "'" + err + "' should mention '" + c.expectedInMessage() + "'");
        assertFalse(err.contains("\tat "), "no stack trace: " + err);
        assertTrue(p.stdout().isEmpty(), "nothing on stdout: " + p.stdout());
    }

    @Test
    void helpSaysWhatTheCommandReadsAndWrites() {
        CliProcess p = CliProcess.run(dir, "plan", "--help");
        assertEquals(0, p.exitCode());
        for (String option : List.of("--load", "--groups", "--max-replicas", "--min-replicas", "--spare-slots",
                "--target-tokens-per-second", "--output", "--layers", "--experts", "/expert-load", "expertGroups")) {
            assertTrue(p.stdout().contains(option), "--help mentions " + option + ":\n" + p.stdout());
        }
    }

    /**
     * The values have exactly the chart's shape; the hosted specs parse, cover the model and give each group the same
     * slots per layer; and the imbalances printed are the ones recomputed here from the written plan and from the
     * contiguous slices the naive plan would use.
     */
    private static void assertPlanIsSound(String values, String stderr, int groups) {
        String header = values.lines().findFirst().orElseThrow();
        Matcher m = HEADER.matcher(header);
        assertTrue(m.matches(), header);
        String body = values.substring(header.length() + 1);
        assertTrue(body.startsWith("expertGroups:\n"), body);
        assertEquals(groups, GROUP.matcher(body).results().count(), "every group in the chart's shape:\n" + body);
        assertEquals("expertGroups:\n".length() + GROUP.matcher(body).results().mapToInt(r -> r.group().length()).sum(),
                body.length(), "nothing but groups:\n" + body);

        JsonNode root = yaml(values);
        assertEquals(List.of("expertGroups"), fieldNames(root));
        JsonNode list = root.get("expertGroups");
        int[] replicas = new int[groups];
        List<List<LayerExpert>> hosted = new ArrayList<>();
        boolean[][] covered = new boolean[LAYERS][EXPERTS];
        for (int g = 0; g < groups; g++) {
            JsonNode group = list.get(g);
            assertEquals(List.of("name", "hosted", "replicas", "minReplicas", "maxReplicas", "autoscaling"), fieldNames(group));
            assertEquals("g" + g, group.get("name").asText());
            replicas[g] = group.get("replicas").asInt();
            assertTrue(replicas[g] >= 1 && replicas[g] <= 3, "replicas " + replicas[g]);
            List<LayerExpert> pairs = List.copyOf(HostedRange.pairsOf(group.get("hosted").asText()));
            hosted.add(pairs);
            int[] perLayer = new int[LAYERS];
            pairs.forEach(p -> {
                covered[p.layer()][p.expert()] = true;
                perLayer[p.layer()]++;
            });
            for (int l = 0; l < LAYERS; l++) {
                assertEquals(perLayer[0], perLayer[l], "g" + g + ": same slots in every layer");
                assertEquals(hosted.getFirst().stream().filter(p -> p.layer() == 0).count(), perLayer[l],
                        "g" + g + ": the same slots as g0");
            }
        }
        for (int l = 0; l < LAYERS; l++) {
            for (int e = 0; e < EXPERTS; e++) {
                assertTrue(covered[l][e], "layer " + l + " expert " + e + " is hosted nowhere");
            }
        }

        double after = imbalance(hosted, replicas);
        List<List<LayerExpert>> slices = new ArrayList<>();
        for (int g = 0; g < groups; g++) {
            int first = EXPERTS * g / groups;
            int last = EXPERTS * (g + 1) / groups - 1;
            slices.add(List.copyOf(HostedRange.pairsOf("0-" + (LAYERS - 1) + ":" + first + "-" + last)));
        }
        double before = imbalance(slices, java.util.stream.IntStream.range(0, groups).map(g -> 3).toArray());
        assertEquals(before, Double.parseDouble(m.group(1)), 0.005 + 1e-9, "before, in the header");
        assertEquals(after, Double.parseDouble(m.group(2)), 0.005 + 1e-9, "after, in the header");
        assertTrue(after < before && after <= 1.1, "before " + before + ", after " + after);
        assertTrue(stderr.contains(String.format(java.util.Locale.ROOT, "before %.2f (worst layer", before)), stderr);
        assertTrue(stderr.contains(String.format(java.util.Locale.ROOT, "after %.2f (worst layer", after)), stderr);
        for (int g = 0; g < groups; g++) {
            String row = "g" + g + " ";
            assertTrue(stderr.lines().anyMatch(l -> l.startsWith(row)), "a table row for " + row + ": " + stderr);
        }
    }

    /** max / mean tokens per replica: each expert's tokens split evenly over its hosts, a group's over its replicas. */
    private static double imbalance(List<List<LayerExpert>> hosted, int[] replicas) {
        int[][] copies = new int[LAYERS][EXPERTS];
        hosted.forEach(pairs -> pairs.forEach(p -> copies[p.layer()][p.expert()]++));
        double max = 0;
        double total = 0;
        int replicaCount = 0;
        for (int g = 0; g < hosted.size(); g++) {
            double tokens = 0;
            for (LayerExpert p : hosted.get(g)) {
                tokens += TOKENS[p.layer()][p.expert()] / copies[p.layer()][p.expert()];
            }
            max = Math.max(max, tokens / replicas[g]);
            total += tokens;
            replicaCount += replicas[g];
        }
        return max / (total / replicaCount);
    }

    private static String json(double[][] tokens) {
        StringBuilder s = new StringBuilder("{\"model\": \"test\", \"layers\": " + tokens.length + ", \"experts\": "
                + tokens[0].length + ", \"tokens\": [");
        for (int l = 0; l < tokens.length; l++) {
            s.append(l > 0 ? ", " : "").append('[');
            for (int e = 0; e < tokens[l].length; e++) {
                s.append(e > 0 ? ", " : "").append((long) tokens[l][e]);
            }
            s.append(']');
        }
        return s.append("]}\n").toString();
    }

    /** Micrometer's exposition with the label order varying, other metrics around, and no series for 0 tokens. */
    private static String prometheus(double[][] tokens) {
        SplittableRandom random = new SplittableRandom(3);
        StringBuilder s = new StringBuilder("""
                # HELP moemesh_router_steps_total Steps routed
                # TYPE moemesh_router_steps_total counter
                moemesh_router_steps_total 42.0
                # HELP moemesh_router_expert_tokens_total Token rows routed to an expert
                # TYPE moemesh_router_expert_tokens_total counter
                """);
        for (int l = 0; l < tokens.length; l++) {
            for (int e = 0; e < tokens[l].length; e++) {
                if (tokens[l][e] == 0) {
                    continue;
                }
                String labels = random.nextBoolean()
                        ? "expert=\"" + e + "\",layer=\"" + l + "\","
                        : "layer=\"" + l + "\",expert=\"" + e + "\"";
                s.append("moemesh_router_expert_tokens_total{").append(labels).append("} ").append(tokens[l][e]).append('\n');
            }
        }
        return s.append("jvm_threads_live_threads 17.0\n").toString();
    }

    private static String withoutHeader(String values) {
        return values.substring(values.indexOf('\n') + 1);
    }

    private static JsonNode yaml(String text) {
        try {
            return new ObjectMapper(new YAMLFactory()).readTree(text);
        } catch (IOException e) {
            throw new AssertionError("not YAML: " + text, e);
        }
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            names.add(it.next());
        }
        return names;
    }

    private static String[] args(String load, String groups, String maxReplicas) {
        return new String[]{"plan", "--load", load, "--groups", groups, "--max-replicas", maxReplicas};
    }

    private static String[] concat(String[] args, String... more) {
        return Stream.concat(Stream.of(args), Stream.of(more)).toArray(String[]::new);
    }
}

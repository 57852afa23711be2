package io.moemesh.core.placement;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import java.util.stream.Stream;

/**
 * Every expert in [firstExpert, lastExpert] of every layer in [firstLayer, lastLayer], bounds inclusive; and the
 * hosted-experts spec that lists such ranges, which the expert-service reads as its configuration and the placement
 * planner writes.
 */
public record HostedRange(int firstLayer, int lastLayer, int firstExpert, int lastExpert) {
    private static final Pattern NUMBER = Pattern.compile("[0-9]+");

    public HostedRange {
        if (firstLayer < 0 || lastLayer < firstLayer || firstExpert < 0 || lastExpert < firstExpert) {
            throw new IllegalArgumentException("empty or negative range: layers " + firstLayer + "-" + lastLayer
                    + ", experts " + firstExpert + "-" + lastExpert);
        }
    }

    public boolean contains(int layer, int expert) {
        return layer >= firstLayer && layer <= lastLayer && expert >= firstExpert && expert <= lastExpert;
    }

    /** The (layer, expert) pairs of this range, layer by layer. */
    public Stream<LayerExpert> pairs() {
        return IntStream.rangeClosed(firstLayer, lastLayer).boxed().flatMap(layer ->
                IntStream.rangeClosed(firstExpert, lastExpert).mapToObj(expert -> new LayerExpert(layer, expert)));
    }

    /**
     * Parses a hosted-experts spec: {@code ;}-separated {@code LAYERS:EXPERTS} blocks, each side a comma list of
     * {@code N} or {@code N-M} items; a block hosts every listed expert of every listed layer.
     * {@code "0-47:0-63;0-47:96"} hosts experts 0..63 and 96 of layers 0..47; {@code "0:3,17,90-95;1-2:4,8"} hosts
     * experts 3, 17 and 90..95 of layer 0 and experts 4 and 8 of layers 1 and 2. Empty blocks are skipped.
     */
    public static List<HostedRange> parseSpec(String spec) {
        Objects.requireNonNull(spec, "hosted-experts spec");
        List<HostedRange> ranges = new ArrayList<>();
        for (String block : spec.split(";")) {
            if (!block.isBlank()) {
                ranges.addAll(parseBlock(block.strip()));
            }
        }
        return ranges;
    }

    /** The set of (layer, expert) pairs a spec hosts. */
    public static SortedSet<LayerExpert> pairsOf(String spec) {
        SortedSet<LayerExpert> pairs = new TreeSet<>();
        parseSpec(spec).forEach(range -> range.pairs().forEach(pairs::add));
        return pairs;
    }

    /**
     * The shortest spec this formatter knows for a set of pairs: each layer's experts as runs ({@code 0-7,64}), and
     * the layers that host the same experts in one block whose layers are runs too ({@code 0-3,9:0-7,64}). Blocks
     * come in the order of their first layer. {@code pairsOf(formatSpec(s))} equals {@code s}.
     */
    public static String formatSpec(Collection<LayerExpert> pairs) {
        Map<Integer, SortedSet<Integer>> expertsByLayer = new TreeMap<>();
        for (LayerExpert p : pairs) {
            expertsByLayer.computeIfAbsent(p.layer(), l -> new TreeSet<>()).add(p.expert());
        }
        // Layers in ascending order, so each block's layer list comes out sorted and blocks by first layer.
        Map<String, SortedSet<Integer>> layersByExperts = new LinkedHashMap<>();
        expertsByLayer.forEach((layer, experts) ->
                layersByExperts.computeIfAbsent(runs(experts), e -> new TreeSet<>()).add(layer));
        List<String> blocks = new ArrayList<>();
        layersByExperts.forEach((experts, layers) -> blocks.add(runs(layers) + ":" + experts));
        return String.join(";", blocks);
    }

    /** Sorted distinct numbers as a comma list where consecutive numbers become {@code N-M}. */
    private static String runs(Set<Integer> sorted) {
        List<String> items = new ArrayList<>();
        int first = -1;
        int last = -1;
        for (int n : sorted) {
            if (first >= 0 && n == last + 1) {
                last = n;
                continue;
            }
            if (first >= 0) {
                items.add(item(first, last));
            }
            first = n;
            last = n;
        }
        if (first >= 0) {
            items.add(item(first, last));
        }
        return String.join(",", items);
    }

    private static String item(int first, int last) {
        return first == last ? Integer.toString(first) : first + "-" + last;
    }

    private static List<HostedRange> parseBlock(String block) {
        String[] sides = block.split(":", -1);
        if (sides.length != 2) {
            throw new IllegalArgumentException("hosted-experts block '" + block
                    + "' is not LAYERS:EXPERTS (e.g. 0-47:0-7,64)");
        }
        List<int[]> layers = parseItems(sides[0], "layers", block);
        List<int[]> experts = parseItems(sides[1], "experts", block);
        List<HostedRange> ranges = new ArrayList<>();
        for (int[] l : layers) {
            for (int[] e : experts) {
                ranges.add(new HostedRange(l[0], l[1], e[0], e[1]));
            }
        }
        return ranges;
    }

    /** A comma list of {@code N} or {@code N-M} items, each as {first, last}. */
    private static List<int[]> parseItems(String side, String what, String block) {
        List<int[]> items = new ArrayList<>();
        for (String raw : side.split(",", -1)) {
            String item = raw.strip();
            String[] bounds = item.split("-", -1);
            if (item.isEmpty() || bounds.length > 2 || !NUMBER.matcher(bounds[0].strip()).matches()
                    || !NUMBER.matcher(bounds[bounds.length - 1].strip()).matches()) {
                throw new IllegalArgumentException("hosted-experts block '" + block + "': " + what + " item '" + item
                        + "' is not N or N-M (non-negative numbers)");
            }
            int first = parseNumber(bounds[0].strip(), what, block);
            int last = parseNumber(bounds[bounds.length - 1].strip(), what, block);
            if (last < first) {
                throw new IllegalArgumentException("hosted-experts block '" + block + "': " + what + " range '" + item
                        + "' runs backwards");
            }
            items.add(new int[] {first, last});
        }
        return items;
    }

    private static int parseNumber(String digits, String what, String block) {
        try {
            return Integer.parseInt(digits);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("hosted-experts block '" + block + "': " + what + " number " + digits
                    + " is too large", e);
        }
    }
}

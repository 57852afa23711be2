package io.moemesh.deploy;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An expert-service "hosted" spec, parsed here on its own (the grammar is the services' contract, so the test does
 * not borrow the service's parser): ';'-separated LAYERS:EXPERTS blocks, each side a comma list of N or N-M
 * (inclusive), e.g. {@code 0-47:0-31} or {@code 0:3,17,90-95;1:4,8}.
 */
record HostedSpec(List<Block> blocks) {
    record Range(int first, int last) {
        Range {
            if (first < 0 || last < first) {
                throw new IllegalArgumentException("bad range " + first + "-" + last);
            }
        }
    }

    record Block(List<Range> layers, List<Range> experts) {
    }

    private static final Pattern RANGE = Pattern.compile("(\\d+)(?:-(\\d+))?");

    static HostedSpec parse(String spec) {
        List<Block> blocks = new ArrayList<>();
        for (String block : spec.split(";", -1)) {
            String[] sides = block.split(":", -1);
            if (sides.length != 2) {
                throw new IllegalArgumentException("'" + block + "' in '" + spec + "' is not LAYERS:EXPERTS");
            }
            blocks.add(new Block(ranges(sides[0], spec), ranges(sides[1], spec)));
        }
        return new HostedSpec(List.copyOf(blocks));
    }

    private static List<Range> ranges(String side, String spec) {
        List<Range> ranges = new ArrayList<>();
        for (String part : side.split(",", -1)) {
            Matcher m = RANGE.matcher(part.strip());
            if (!m.matches()) {
                throw new IllegalArgumentException("'" + part + "' in '" + spec + "' is not N or N-M");
            }
            int first = Integer.parseInt(m.group(1));
            ranges.add(new Range(first, m.group(2) == null ? first : Integer.parseInt(m.group(2))));
        }
        return ranges;
    }

    /** hosted[layer][expert] for a model of that many layers and experts; cells outside it are an error. */
    boolean[][] cells(int layers, int experts) {
        boolean[][] hosted = new boolean[layers][experts];
        for (Block b : blocks) {
            for (Range lr : b.layers) {
                for (Range er : b.experts) {
                    if (lr.last >= layers || er.last >= experts) {
                        throw new IllegalArgumentException("block " + lr.first + "-" + lr.last + ":" + er.first + "-" + er.last
                                + " is outside a model of " + layers + " layers x " + experts + " experts");
                    }
                    for (int l = lr.first; l <= lr.last; l++) {
                        for (int e = er.first; e <= er.last; e++) {
                            hosted[l][e] = true;
                        }
                    }
                }
            }
        }
        return hosted;
    }

    /**
     * The same placement on a smaller (or larger) model: each range scaled to the other model's layers and experts,
     * rounded outwards, so groups that cover one model together cover the other.
     */
    HostedSpec fitTo(int fromLayers, int fromExperts, int toLayers, int toExperts) {
        List<Block> fitted = new ArrayList<>();
        for (Block b : blocks) {
            fitted.add(new Block(scale(b.layers, fromLayers, toLayers), scale(b.experts, fromExperts, toExperts)));
        }
        return new HostedSpec(fitted);
    }

    private static List<Range> scale(List<Range> ranges, int from, int to) {
        List<Range> scaled = new ArrayList<>();
        for (Range r : ranges) {
            int first = (int) ((long) r.first * to / from);
            int last = (int) Math.min(to - 1, Math.max(first, ((long) (r.last + 1) * to + from - 1) / from - 1));
            scaled.add(new Range(first, last));
        }
        return scaled;
    }

    @Override
    public String toString() {
        List<String> out = new ArrayList<>();
        for (Block b : blocks) {
            out.add(join(b.layers) + ":" + join(b.experts));
        }
        return String.join(";", out);
    }

    private static String join(List<Range> ranges) {
        return String.join(",", ranges.stream().map(r -> r.first == r.last ? "" + r.first : r.first + "-" + r.last).toList());
    }
}

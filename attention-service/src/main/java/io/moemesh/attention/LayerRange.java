package io.moemesh.attention;

import java.util.Arrays;
import java.util.List;

/** Layers [firstLayer, lastLayer], bounds inclusive, 0-based. */
public record LayerRange(int firstLayer, int lastLayer) {

    public LayerRange {
        if (firstLayer < 0 || lastLayer < firstLayer) {
            throw new IllegalArgumentException("empty or negative layer range " + firstLayer + "-" + lastLayer);
        }
    }

    /** Parses {@code ,}-separated {@code N} or {@code N-M}: {@code "0-11,24"} is layers 0..11 and 24. */
    public static List<LayerRange> parseSpec(String spec) {
        return Arrays.stream(spec.split(","))
                .map(String::strip)
                .filter(part -> !part.isEmpty())
                .map(LayerRange::parsePart)
                .toList();
    }

    private static LayerRange parsePart(String part) {
        String[] bounds = part.split("-", -1);
        try {
            return switch (bounds.length) {
                case 1 -> new LayerRange(Integer.parseInt(bounds[0].strip()), Integer.parseInt(bounds[0].strip()));
                case 2 -> new LayerRange(Integer.parseInt(bounds[0].strip()), Integer.parseInt(bounds[1].strip()));
                default -> throw new NumberFormatException(part);
            };
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("expected N or N-M, got '" + part + "'", e);
        }
    }
}

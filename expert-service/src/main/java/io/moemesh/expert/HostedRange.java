package io.moemesh.expert;

import java.util.Arrays;
import java.util.List;

/** Every expert in [firstExpert, lastExpert] of every layer in [firstLayer, lastLayer], bounds inclusive. */
public record HostedRange(int firstLayer, int lastLayer, int firstExpert, int lastExpert) {

    public HostedRange {
        if (firstLayer < 0 || lastLayer < firstLayer || firstExpert < 0 || lastExpert < firstExpert) {
            throw new IllegalArgumentException("empty or negative range: layers " + firstLayer + "-" + lastLayer
                    + ", experts " + firstExpert + "-" + lastExpert);
        }
    }

    /**
     * Parses a hosted-experts spec: {@code ;}-separated {@code LAYERS:EXPERTS} blocks, each side {@code N} or
     * {@code N-M}. {@code "0-47:0-63;0-47:96"} hosts experts 0..63 and 96 of layers 0..47.
     */
    public static List<HostedRange> parseSpec(String spec) {
        return Arrays.stream(spec.split(";"))
                .map(String::strip)
                .filter(block -> !block.isEmpty())
                .map(HostedRange::parseBlock)
                .toList();
    }

    private static HostedRange parseBlock(String block) {
        String[] sides = block.split(":", -1);
        if (sides.length != 2) {
            throw new IllegalArgumentException("expected LAYERS:EXPERTS, got '" + block + "'");
        }
        int[] layers = parseBounds(sides[0], block);
        int[] experts = parseBounds(sides[1], block);
        return new HostedRange(layers[0], layers[1], experts[0], experts[1]);
    }

    private static int[] parseBounds(String side, String block) {
        String[] bounds = side.strip().split("-", -1);
        try {
            return switch (bounds.length) {
                case 1 -> new int[] {Integer.parseInt(bounds[0].strip()), Integer.parseInt(bounds[0].strip())};
                case 2 -> new int[] {Integer.parseInt(bounds[0].strip()), Integer.parseInt(bounds[1].strip())};
                default -> throw new NumberFormatException(side);
            };
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("expected N or N-M in '" + block + "', got '" + side + "'", e);
        }
    }
}

package io.moemesh.core.placement;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.*;

class HostedRangeTest {

    @Test
    void parsesBlocksOfRangesAndSingleIndices() {
        assertEquals(
                List.of(new HostedRange(0, 47, 0, 63), new HostedRange(0, 47, 96, 96), new HostedRange(5, 5, 1, 2)),
                HostedRange.parseSpec("0-47:0-63; 0-47:96 ;5:1-2;"));
    }

    @Test
    void aBlockWithListsHostsTheirCartesianProduct() {
        assertEquals(List.of(new HostedRange(0, 0, 3, 3), new HostedRange(0, 0, 17, 17), new HostedRange(0, 0, 90, 95),
                        new HostedRange(1, 2, 4, 4), new HostedRange(1, 2, 8, 8), new HostedRange(7, 7, 4, 4),
                        new HostedRange(7, 7, 8, 8)),
                HostedRange.parseSpec("0:3,17,90-95;1-2, 7:4 ,8"));
        assertEquals(new TreeSet<>(List.of(new LayerExpert(0, 3), new LayerExpert(0, 5), new LayerExpert(2, 3),
                new LayerExpert(2, 5))), HostedRange.pairsOf("0,2:3,5"));
    }

    @Test
    void emptySpecHostsNothing() {
        assertEquals(List.of(), HostedRange.parseSpec(""));
        assertEquals("", HostedRange.formatSpec(List.of()));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
            "0-47         | is not LAYERS:EXPERTS",
            "0:1:2        | is not LAYERS:EXPERTS",
            "a:1          | layers item 'a' is not N or N-M",
            "1-2-3:4      | layers item '1-2-3' is not N or N-M",
            "3-1:0        | layers range '3-1' runs backwards",
            "0:-1         | experts item '-1' is not N or N-M",
            "0:1,,2       | experts item '' is not N or N-M",
            "0:1,         | experts item '' is not N or N-M",
            "0:99999999999 | experts number 99999999999 is too large",
            "0:5-         | experts item '5-' is not N or N-M",
            "0:+5         | experts item '+5' is not N or N-M"})
    void rejectsMalformedSpecsNamingTheBadPart(String spec, String expected) {
        String message = assertThrows(IllegalArgumentException.class, () -> HostedRange.parseSpec(spec), spec).getMessage();
        assertTrue(message.contains(expected), "'" + message + "' should say '" + expected + "'");
    }

    @Test
    void formatsRunsAndMergesLayersWithTheSameExperts() {
        var pairs = new TreeSet<LayerExpert>();
        for (int layer : new int[] {0, 1, 2, 5}) {
            for (int expert : new int[] {0, 1, 2, 3, 4, 5, 6, 7, 64}) {
                pairs.add(new LayerExpert(layer, expert));
            }
        }
        for (int expert : new int[] {3, 9, 10, 11, 12, 13, 14, 15}) {
            pairs.add(new LayerExpert(3, expert));
        }
        assertEquals("0-2,5:0-7,64;3:3,9-15", HostedRange.formatSpec(pairs));
    }

    @Test
    void formatThenParseGivesBackTheSameSetOnRandomSets() {
        SplittableRandom random = new SplittableRandom(7);
        for (int trial = 0; trial < 500; trial++) {
            int layers = 1 + random.nextInt(12);
            int experts = 1 + random.nextInt(40);
            double density = random.nextDouble();
            // Some layers copy another's experts so that the layer merging is exercised too.
            boolean[][] hosted = new boolean[layers][experts];
            var pairs = new TreeSet<LayerExpert>();
            for (int l = 0; l < layers; l++) {
                boolean copy = l > 0 && random.nextInt(3) == 0;
                int source = copy ? random.nextInt(l) : -1;
                for (int e = 0; e < experts; e++) {
                    hosted[l][e] = copy ? hosted[source][e] : random.nextDouble() < density;
                    if (hosted[l][e]) {
                        pairs.add(new LayerExpert(l, e));
                    }
                }
            }
            String spec = HostedRange.formatSpec(pairs);
            assertEquals(pairs, HostedRange.pairsOf(spec), spec);
            assertCompact(spec);
        }
    }

    /** Nothing left to merge: runs within a list never touch, and each layer appears in one block only. */
    private static void assertCompact(String spec) {
        var layersSeen = new TreeSet<Integer>();
        var expertListsSeen = new TreeSet<String>();
        for (String block : spec.isEmpty() ? new String[0] : spec.split(";")) {
            String[] sides = block.split(":");
            assertTrue(expertListsSeen.add(sides[1]), "two blocks host the same experts: " + spec);
            for (String side : sides) {
                int previousLast = -2;
                for (String item : side.split(",")) {
                    String[] bounds = item.split("-");
                    int first = Integer.parseInt(bounds[0]);
                    assertTrue(first > previousLast + 1, "'" + side + "' has runs that touch or are unsorted in " + spec);
                    previousLast = Integer.parseInt(bounds[bounds.length - 1]);
                }
            }
            for (HostedRange r : HostedRange.parseSpec(sides[0] + ":0")) {
                for (int l = r.firstLayer(); l <= r.lastLayer(); l++) {
                    assertTrue(layersSeen.add(l), "layer " + l + " is in two blocks of " + spec);
                }
            }
        }
    }
}

package io.moemesh.deploy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The test's own reading of the hosted spec, on which the coverage check and the loopback mesh rely. */
class HostedSpecTest {

    @Test
    void readsBlocksOfLayerAndExpertLists() {
        boolean[][] cells = HostedSpec.parse("0:3,17,5-6;1-2:4").cells(3, 20);
        List<String> hosted = new java.util.ArrayList<>();
        for (int l = 0; l < 3; l++) {
            for (int e = 0; e < 20; e++) {
                if (cells[l][e]) {
                    hosted.add(l + "/" + e);
                }
            }
        }
        assertEquals(List.of("0/3", "0/5", "0/6", "0/17", "1/4", "2/4"), hosted);
    }

    /** The services parse specs with core's HostedRange: this reading must host exactly what theirs does. */
    @ParameterizedTest
    @ValueSource(strings = {"0-3:0-63", "0:3,17,5-6;1-2:4", "0-3,9:0-7,64", "0:0-1,7,9-12;1:4,6,8-10,12,14", "5:127;0-1:0"})
    void agreesWithTheServicesParser(String spec) {
        boolean[][] cells = HostedSpec.parse(spec).cells(10, 128);
        java.util.SortedSet<io.moemesh.core.placement.LayerExpert> ours = new java.util.TreeSet<>();
        for (int l = 0; l < cells.length; l++) {
            for (int e = 0; e < cells[l].length; e++) {
                if (cells[l][e]) {
                    ours.add(new io.moemesh.core.placement.LayerExpert(l, e));
                }
            }
        }
        assertEquals(io.moemesh.core.placement.HostedRange.pairsOf(spec), ours, spec);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "0-47", "0-47:", ":0-3", "0-47;0-31", "a:1", "3-1:0", "0:1:2", "0:1;"})
    void refusesWhatIsNotASpec(String spec) {
        assertThrows(IllegalArgumentException.class, () -> HostedSpec.parse(spec), spec);
    }

    @Test
    void refusesExpertsOutsideTheModel() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HostedSpec.parse("0-48:0-127").cells(48, 128));
        assertTrue(e.getMessage().contains("48 layers"), e.getMessage());
    }

    @Test
    void fittingToASmallerModelKeepsWhatTheGroupsCover() {
        // Four groups of 32 experts of 128 become four of 4 of 16; a lone expert still maps to one.
        List<String> fitted = List.of("0-47:0-31", "0-47:32-63", "0-47:64-95", "0-47:96-127", "5:127").stream()
                .map(s -> HostedSpec.parse(s).fitTo(48, 128, 4, 16).toString()).toList();
        assertEquals(List.of("0-3:0-3", "0-3:4-7", "0-3:8-11", "0-3:12-15", "0:15"), fitted);
        boolean[][] union = new boolean[4][16];
        for (String spec : fitted.subList(0, 4)) {
            boolean[][] c = HostedSpec.parse(spec).cells(4, 16);
            for (int l = 0; l < 4; l++) {
                for (int e = 0; e < 16; e++) {
                    union[l][e] |= c[l][e];
                }
            }
        }
        for (boolean[] layer : union) {
            for (boolean expert : layer) {
                assertTrue(expert);
            }
        }
    }
}

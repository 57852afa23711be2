package io.moemesh.cli;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class ExpertPlacementTest {
    @Test
    void everyExpertLandsOnExactlyReplicasHosts() {
        List<String> specs = ExpertPlacement.spread(4, 128, 3, 2);
        assertEquals(List.of("0-3:0-41;0-3:42-84", "0-3:42-84;0-3:85-127", "0-3:85-127;0-3:0-41"), specs);
        int[] copies = new int[128];
        for (String spec : specs) {
            for (String block : spec.split(";")) {
                String[] experts = block.split(":")[1].split("-");
                for (int e = Integer.parseInt(experts[0]); e <= Integer.parseInt(experts[1]); e++) {
                    copies[e]++;
                }
            }
        }
        for (int c : copies) {
            assertEquals(2, c);
        }
    }

    @Test
    void impossibleSpreadsAreRefused() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ExpertPlacement.spread(4, 16, 3, 4))
                .getMessage().contains("--replicas"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ExpertPlacement.spread(4, 16, 0, 1))
                .getMessage().contains("--expert-services"));
    }
}

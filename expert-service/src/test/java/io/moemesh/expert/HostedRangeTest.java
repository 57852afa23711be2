package io.moemesh.expert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class HostedRangeTest {

    @Test
    void parsesBlocksOfRangesAndSingleIndices() {
        assertEquals(
                List.of(new HostedRange(0, 47, 0, 63), new HostedRange(0, 47, 96, 96), new HostedRange(5, 5, 1, 2)),
                HostedRange.parseSpec("0-47:0-63; 0-47:96 ;5:1-2;"));
    }

    @Test
    void rejectsMalformedSpecs() {
        for (String spec : List.of("0-47", "a:1", "1-2-3:4", "3-1:0", "0:-1", "0:1:2")) {
            assertThrows(IllegalArgumentException.class, () -> HostedRange.parseSpec(spec), spec);
        }
    }
}

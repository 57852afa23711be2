package io.moemesh.attention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class LayerRangeTest {

    @Test
    void parsesRangesAndSingleLayers() {
        assertEquals(List.of(new LayerRange(0, 11), new LayerRange(24, 24)), LayerRange.parseSpec(" 0-11, 24,"));
    }

    @Test
    void rejectsMalformedSpecs() {
        for (String spec : List.of("a", "1-2-3", "5-4", "-1")) {
            assertThrows(IllegalArgumentException.class, () -> LayerRange.parseSpec(spec), spec);
        }
    }
}

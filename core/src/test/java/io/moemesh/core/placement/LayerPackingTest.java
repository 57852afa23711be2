package io.moemesh.core.placement;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class LayerPackingTest {
    private static List<LayerPacking.Slot> slots(double... tokens) {
        return java.util.stream.IntStream.range(0, tokens.length)
                .mapToObj(e -> new LayerPacking.Slot(e, tokens[e])).toList();
    }

    @Test
    void swapsEvenOutWhatGreedyPackingLeaves() {
        // Greedy: 3,2,2 against 3,2,0. The swap of a 3 for a 2 gives 2,2,2 against 3,3,0.
        LayerPacking packing = LayerPacking.pack(slots(3, 3, 2, 2, 2, 0), 2, 3, 6, new double[2]);
        assertEquals(List.of(7.0, 5.0), List.of(packing.tokens(0), packing.tokens(1)));
        packing.improveBySwaps();
        assertEquals(List.of(6.0, 6.0), List.of(packing.tokens(0), packing.tokens(1)));
        assertEquals(3, packing.experts(0).length);
        assertEquals(3, packing.experts(1).length);
    }

    @Test
    void tiesGoToTheGroupWithLessLoadInOtherLayers() {
        LayerPacking packing = LayerPacking.pack(slots(4, 1), 2, 1, 2, new double[] {10, 3});
        assertArrayEquals(new int[] {0}, packing.experts(1), "the heavier slot to the group that served less so far");
    }

    @Test
    void copiesOfAnExpertGoToDistinctGroupsEvenWhenTheLightestHostsOneAlready() {
        // After 4 -> a and the first copy of expert 0 -> b, b is still the lightest: the second copy must go to a.
        List<LayerPacking.Slot> slots = List.of(new LayerPacking.Slot(1, 4), new LayerPacking.Slot(0, 1),
                new LayerPacking.Slot(0, 1), new LayerPacking.Slot(2, 1), new LayerPacking.Slot(3, 1),
                new LayerPacking.Slot(4, 0));
        LayerPacking packing = LayerPacking.pack(slots, 2, 3, 5, new double[2]);
        packing.improveBySwaps();
        for (int g = 0; g < 2; g++) {
            int[] experts = packing.experts(g);
            assertEquals(3, experts.length);
            assertEquals(3, java.util.Arrays.stream(experts).distinct().count(), java.util.Arrays.toString(experts));
            assertEquals(0, experts[0], "each group has a copy of expert 0");
        }
    }
}

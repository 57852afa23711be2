package io.moemesh.core.placement;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;

/**
 * One layer's expert copies (slots) dealt out to the groups so that every group serves about the same tokens in this
 * layer: a layer step waits for its slowest replica, so each layer must balance, not only the totals. Every group
 * ends with exactly {@code slotsPerGroup} slots (the same memory everywhere) and never two copies of one expert.
 */
final class LayerPacking {
    /** One copy of an expert and the tokens it serves: the expert's tokens split evenly over its copies. */
    record Slot(int expert, double tokens) {
    }

    private final int slotsPerGroup;
    private final List<List<Slot>> slots = new ArrayList<>();
    private final boolean[][] hosts;
    private final double[] tokens;
    private final Comparator<Integer> lighterFirst;

    private LayerPacking(int groups, int slotsPerGroup, int experts, double[] tokensInOtherLayers) {
        this.slotsPerGroup = slotsPerGroup;
        this.hosts = new boolean[groups][experts];
        this.tokens = new double[groups];
        for (int g = 0; g < groups; g++) {
            slots.add(new ArrayList<>());
        }
        // Ties in this layer (at its start, or a layer without load) go to the group with the least load in the
        // layers packed before: that keeps the groups' totals even too.
        double[] other = tokensInOtherLayers.clone();
        this.lighterFirst = Comparator.<Integer>comparingDouble(g -> tokens[g])
                .thenComparingDouble(g -> other[g])
                .thenComparingInt(g -> g);
    }

    /**
     * Greedy packing, heaviest slot first into the lightest group that has room and does not host that expert yet
     * (LPT scheduling with a capacity per group).
     */
    static LayerPacking pack(List<Slot> layerSlots, int groups, int slotsPerGroup, int experts,
                             double[] tokensInOtherLayers) {
        if (layerSlots.size() != groups * slotsPerGroup) {
            throw new IllegalArgumentException(layerSlots.size() + " slots do not fill " + groups + " groups of "
                    + slotsPerGroup);
        }
        LayerPacking packing = new LayerPacking(groups, slotsPerGroup, experts, tokensInOtherLayers);
        layerSlots.stream()
                .sorted(Comparator.comparingDouble(Slot::tokens).reversed().thenComparingInt(Slot::expert))
                .forEach(packing::place);
        return packing;
    }

    private void place(Slot slot) {
        int target = IntStream.range(0, tokens.length).boxed()
                .filter(g -> hasRoom(g) && !hosts[g][slot.expert()])
                .min(lighterFirst)
                .orElseGet(() -> makeRoomFor(slot));
        add(target, slot);
    }

    /**
     * Every group with room already hosts this expert (its other copies came first). Move a slot y from a full
     * group k that lacks the expert into a group h that has room and lacks y; k then has room. Such a k exists (the
     * expert has at most one copy per group and this one is not placed yet), and such a y does: k holds
     * slotsPerGroup distinct experts, h fewer. Of the possible y, the one closest in tokens to the slot keeps both
     * groups' load about where greedy packing would have put it.
     */
    private int makeRoomFor(Slot slot) {
        int h = IntStream.range(0, tokens.length).boxed().filter(this::hasRoom).min(lighterFirst).orElseThrow();
        int k = IntStream.range(0, tokens.length).boxed().filter(g -> !hosts[g][slot.expert()]).min(lighterFirst)
                .orElseThrow(() -> new IllegalStateException("every group hosts expert " + slot.expert()));
        Slot y = slots.get(k).stream()
                .filter(s -> !hosts[h][s.expert()])
                .min(Comparator.comparingDouble(s -> Math.abs(s.tokens() - slot.tokens())))
                .orElseThrow();
        remove(k, y);
        add(h, y);
        return k;
    }

    /**
     * Pairwise swaps between the heaviest group and the lightest one that can take some of its load: the swap whose
     * difference in tokens is nearest half the gap between them. Each swap lowers the sum of squared group loads, so
     * the loop cannot cycle; it stops when no swap helps the heaviest group.
     */
    void improveBySwaps() {
        for (int round = 0; round < 100 * tokens.length; round++) {
            int heaviest = IntStream.range(0, tokens.length).boxed().max(lighterFirst).orElseThrow();
            boolean swapped = IntStream.range(0, tokens.length).boxed()
                    .filter(g -> g != heaviest)
                    .sorted(lighterFirst)
                    .anyMatch(light -> swapTowardsEven(heaviest, light));
            if (!swapped) {
                return;
            }
        }
    }

    private boolean swapTowardsEven(int heavy, int light) {
        double gap = tokens[heavy] - tokens[light];
        Slot bestOut = null;
        Slot bestIn = null;
        double bestMiss = Double.POSITIVE_INFINITY;
        for (Slot out : slots.get(heavy)) {
            if (hosts[light][out.expert()]) {
                continue;
            }
            for (Slot in : slots.get(light)) {
                double moved = out.tokens() - in.tokens();
                if (hosts[heavy][in.expert()] || moved <= 0 || moved >= gap) {
                    continue;
                }
                double miss = Math.abs(gap / 2 - moved);
                if (miss < bestMiss) {
                    bestMiss = miss;
                    bestOut = out;
                    bestIn = in;
                }
            }
        }
        if (bestOut == null) {
            return false;
        }
        remove(heavy, bestOut);
        remove(light, bestIn);
        add(heavy, bestIn);
        add(light, bestOut);
        return true;
    }

    private boolean hasRoom(int group) {
        return slots.get(group).size() < slotsPerGroup;
    }

    private void add(int group, Slot slot) {
        slots.get(group).add(slot);
        hosts[group][slot.expert()] = true;
        tokens[group] += slot.tokens();
    }

    private void remove(int group, Slot slot) {
        slots.get(group).remove(slot);
        hosts[group][slot.expert()] = false;
        tokens[group] -= slot.tokens();
    }

    /** The experts group {@code group} hosts in this layer. */
    int[] experts(int group) {
        return slots.get(group).stream().mapToInt(Slot::expert).sorted().toArray();
    }

    /** The tokens group {@code group} serves in this layer. */
    double tokens(int group) {
        return tokens[group];
    }
}

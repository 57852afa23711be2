package io.moemesh.core.placement;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.OptionalInt;
import java.util.PriorityQueue;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * Places a model's experts on {@code groups} expert groups so that every replica serves about the same tokens.
 *
 * <p>The model of the fleet: group g hosts a set of (layer, expert) pairs on r_g identical replicas. The router sends
 * each token of (layer, expert) to one of the replicas hosting it, the least loaded, so an expert hosted by k groups
 * splits its load evenly over its k copies (as DeepSeek's EPLB models it), and a group's load spreads evenly over its
 * replicas. A layer step waits for its slowest replica, so the planner balances each layer, not just the totals:
 *
 * <ol>
 *   <li>every group gets S = ceil(E/G) + spare slots in every layer (the same memory everywhere);</li>
 *   <li><b>replicate</b>: the G·S − E extra slots go, one at a time, to the expert with the most tokens per copy
 *       (at most G copies, one per group);</li>
 *   <li><b>pack</b>: heaviest copy first into the lightest group that has room and does not host that expert, ties
 *       going to the group with the least load over all layers so far; then pairwise swaps from the heaviest
 *       group ({@link LayerPacking});</li>
 *   <li><b>replicas</b>: in proportion to each group's total tokens, the hottest group getting the most
 *       ({@code maxReplicas}, the autoscaler's ceiling).</li>
 * </ol>
 */
public final class PlacementPlanner {
    private final int groups;
    private final int minReplicas;
    private final int maxReplicas;
    private final OptionalInt spareSlots;

    /** {@code spareSlots} empty: {@link #defaultSpareSlots}. */
    public PlacementPlanner(int groups, int minReplicas, int maxReplicas, OptionalInt spareSlots) {
        if (groups < 1) {
            throw new IllegalArgumentException("groups must be at least 1, got " + groups);
        }
        if (maxReplicas < 1) {
            throw new IllegalArgumentException("max replicas must be at least 1, got " + maxReplicas);
        }
        if (minReplicas < 1 || minReplicas > maxReplicas) {
            throw new IllegalArgumentException("min replicas must be in 1.." + maxReplicas + ", got " + minReplicas);
        }
        if (spareSlots.isPresent() && spareSlots.getAsInt() < 0) {
            throw new IllegalArgumentException("spare slots must be >= 0, got " + spareSlots.getAsInt());
        }
        this.groups = groups;
        this.minReplicas = minReplicas;
        this.maxReplicas = maxReplicas;
        this.spareSlots = spareSlots;
    }

    /**
     * An eighth more slots than an even split: room for the extra copies a Zipf-skewed layer needs. On Zipf loads
     * (s = 1.0, 1.2) over 128 experts this brings the per-layer imbalance from 3–6 down to about 1.00 for 4 and 16
     * groups; with no spare a single expert with more tokens than a group's share caps it (see the tests).
     */
    public static int defaultSpareSlots(int experts, int groups) {
        return (int) Math.ceil(0.125 * experts / groups);
    }

    /** S: slots every group gets in every layer; never more than the layer's experts (a group hosts each once). */
    public int slotsPerLayer(int experts) {
        int even = Math.ceilDiv(experts, groups);
        return Math.min(experts, even + spareSlots.orElse(defaultSpareSlots(experts, groups)));
    }

    public PlacementPlan plan(ExpertLoad load) {
        checkFits(load);
        int experts = load.experts();
        int slots = slotsPerLayer(experts);
        List<SortedSet<LayerExpert>> hosted = new ArrayList<>();
        for (int g = 0; g < groups; g++) {
            hosted.add(new TreeSet<>());
        }
        double[] tokensSoFar = new double[groups];
        for (int layer = 0; layer < load.layers(); layer++) {
            double[] tokens = load.layer(layer);
            int[] copies = replicate(tokens, groups * slots - experts, groups);
            LayerPacking packing = LayerPacking.pack(copiesAsSlots(tokens, copies), groups, slots, experts, tokensSoFar);
            packing.improveBySwaps();
            for (int g = 0; g < groups; g++) {
                for (int expert : packing.experts(g)) {
                    hosted.get(g).add(new LayerExpert(layer, expert));
                }
                tokensSoFar[g] += packing.tokens(g);
            }
        }
        int[] replicas = replicas(tokensSoFar);
        List<ExpertGroup> planned = new ArrayList<>();
        for (int g = 0; g < groups; g++) {
            planned.add(new ExpertGroup(name(g), hosted.get(g), replicas[g]));
        }
        return new PlacementPlan(load.layers(), experts, planned);
    }

    /**
     * The plan without a load: group g hosts the g-th contiguous slice of every layer's experts, all groups on
     * {@code maxReplicas}. What {@code ./moe-mesh local-mesh} and the demo chart do, so the baseline to beat.
     */
    public PlacementPlan naive(ExpertLoad load) {
        checkFits(load);
        int experts = load.experts();
        List<ExpertGroup> planned = new ArrayList<>();
        for (int g = 0; g < groups; g++) {
            // The same cut as the CLI's ExpertPlacement.
            int first = (int) ((long) experts * g / groups);
            int last = (int) ((long) experts * (g + 1) / groups) - 1;
            SortedSet<LayerExpert> hosted = new TreeSet<>();
            new HostedRange(0, load.layers() - 1, first, last).pairs().forEach(hosted::add);
            planned.add(new ExpertGroup(name(g), hosted, maxReplicas));
        }
        return new PlacementPlan(load.layers(), experts, planned);
    }

    private void checkFits(ExpertLoad load) {
        if (groups > load.experts()) {
            throw new IllegalArgumentException(groups + " groups for " + load.experts()
                    + " experts per layer: some group would host nothing");
        }
        if (load.totalTokens() <= 0) {
            throw new IllegalArgumentException("the load is all zeros: no tokens to balance");
        }
    }

    /**
     * Copies per expert: one each, then every extra slot to the expert whose copies serve the most tokens each
     * (EPLB's rule), up to one copy per group. Among equals (a layer without load), the expert with fewer copies,
     * so copies spread out. There are never more extra slots than copies to make: S <= E.
     */
    static int[] replicate(double[] tokens, int extraSlots, int maxCopies) {
        int[] copies = new int[tokens.length];
        Arrays.fill(copies, 1);
        PriorityQueue<Integer> mostPerCopy = new PriorityQueue<>(Comparator
                .<Integer>comparingDouble(e -> -tokens[e] / copies[e])
                .thenComparingInt(e -> copies[e])
                .thenComparingInt(e -> e));
        for (int e = 0; e < tokens.length; e++) {
            mostPerCopy.add(e);
        }
        for (int extra = 0; extra < extraSlots; extra++) {
            int e = mostPerCopy.poll();
            copies[e]++;
            if (copies[e] < maxCopies) {
                mostPerCopy.add(e);
            }
        }
        return copies;
    }

    private static List<LayerPacking.Slot> copiesAsSlots(double[] tokens, int[] copies) {
        List<LayerPacking.Slot> slots = new ArrayList<>();
        for (int e = 0; e < tokens.length; e++) {
            for (int c = 0; c < copies[e]; c++) {
                slots.add(new LayerPacking.Slot(e, tokens[e] / copies[e]));
            }
        }
        return slots;
    }

    /**
     * r_g = ceil(maxReplicas · tokens_g / tokens_hottest), within [minReplicas, maxReplicas]. Rounding up means no
     * group's replicas carry more tokens each than the hottest group's, so the busiest replica stays the hottest
     * group's.
     */
    private int[] replicas(double[] tokens) {
        double hottest = Arrays.stream(tokens).max().orElse(0);
        int[] replicas = new int[tokens.length];
        for (int g = 0; g < tokens.length; g++) {
            // The epsilon keeps a group at exactly the hottest's share from rounding up past it.
            int proportional = (int) Math.ceil(maxReplicas * tokens[g] / hottest - 1e-9);
            replicas[g] = Math.clamp(proportional, minReplicas, maxReplicas);
        }
        return replicas;
    }

    private static String name(int group) {
        return "g" + group;
    }
}

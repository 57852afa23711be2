package io.moemesh.core.placement;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

class PlacementPlannerTest {

    static Stream<Arguments> zipfLoads() {
        List<Arguments> cases = new ArrayList<>();
        int[][] shapes = {{48, 128, 4}, {94, 128, 16}, {1, 128, 16}};
        for (int[] shape : shapes) {
            for (double s : new double[] {1.0, 1.2}) {
                for (boolean hotPerLayer : new boolean[] {false, true}) {
                    cases.add(Arguments.of(shape[0], shape[1], shape[2], s, hotPerLayer));
                }
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} layers x {1} experts over {2} groups, Zipf s={3}, hot experts per layer: {4}")
    @MethodSource("zipfLoads")
    void balancesEveryLayerOfAZipfLoad(int layers, int experts, int groups, double s, boolean hotPerLayer) {
        ExpertLoad load = ZipfLoads.load(layers, experts, s, hotPerLayer, 42);
        PlacementPlanner planner = new PlacementPlanner(groups, 1, 4, OptionalInt.empty());

        PlacementPlan plan = planner.plan(load);
        PlanBalance before = PlanBalance.of(planner.naive(load), load);
        PlanBalance after = PlanBalance.of(plan, load);
        System.out.printf("%d x %d over %d groups, s=%.1f, hot per layer %-5s: imbalance before %.3f (worst layer %.3f),"
                        + " after %.5f (worst layer %.5f)%n", layers, experts, groups, s, hotPerLayer,
                before.imbalance(), before.worstLayerImbalance(), after.imbalance(), after.worstLayerImbalance());

        assertValid(plan, load, planner.slotsPerLayer(experts), 1, 4);
        assertEquals(naiveImbalance(load, groups, -1), before.imbalance(), 1e-9);
        assertEquals(worstNaiveLayerImbalance(load, groups), before.worstLayerImbalance(), 1e-9);
        assertTrue(before.worstLayerImbalance() > 1.3, "a skewed load the naive plan does not balance: "
                + before.worstLayerImbalance());
        assertTrue(after.imbalance() <= 1.1, "imbalance after " + after.imbalance());
        assertTrue(after.worstLayerImbalance() <= 1.1, "worst layer after " + after.worstLayerImbalance());
    }

    @Test
    void withoutSpareSlotsOneHotExpertCannotBeSpread() {
        ExpertLoad load = ZipfLoads.load(1, 128, 1.2, false, 42);
        PlacementPlanner noSpare = new PlacementPlanner(16, 1, 4, OptionalInt.of(0));
        PlanBalance after = PlanBalance.of(noSpare.plan(load), load);
        assertValid(noSpare.plan(load), load, 8, 1, 4);
        // The hottest expert alone carries more than 4 groups' share: only copies spread it. Giving its group the
        // most replicas softens that, but cannot even it out.
        assertTrue(after.worstLayerImbalance() > 1.3, "worst layer " + after.worstLayerImbalance());
    }

    @Test
    void uniformLoadIsEvenEitherWay() {
        double[][] tokens = new double[48][128];
        for (double[] row : tokens) {
            java.util.Arrays.fill(row, 1000);
        }
        ExpertLoad load = ExpertLoad.of(tokens);
        PlacementPlanner planner = new PlacementPlanner(16, 1, 4, OptionalInt.empty());
        PlacementPlan plan = planner.plan(load);
        assertValid(plan, load, planner.slotsPerLayer(128), 1, 4);
        assertEquals(1.0, PlanBalance.of(planner.naive(load), load).imbalance(), 1e-9);
        assertEquals(1.0, PlanBalance.of(plan, load).imbalance(), 1e-6);
        assertEquals(1.0, PlanBalance.of(plan, load).worstLayerImbalance(), 1e-6);
    }

    @Test
    void balanceFollowsTheModelOnAHandWorkedExample() {
        // Expert 0 (6 tokens) on both groups: 3 each. a = 3 + 2 on one replica, b = 3 + 1 + 1 on two replicas:
        // 5, 2.5, 2.5 tokens per replica, mean 10/3, so max/mean = 1.5.
        ExpertLoad load = ExpertLoad.of(new double[][] {{6, 2, 1, 1}});
        PlacementPlan plan = new PlacementPlan(1, 4, List.of(
                new ExpertGroup("a", HostedRange.pairsOf("0:0-1"), 1),
                new ExpertGroup("b", HostedRange.pairsOf("0:0,2-3"), 2)));
        PlanBalance balance = PlanBalance.of(plan, load);
        assertEquals(1.5, balance.imbalance(), 1e-12);
        assertEquals(1.5, balance.worstLayerImbalance(), 1e-12);
        assertEquals(List.of(5.0, 5.0), balance.groups().stream().map(PlanBalance.GroupLoad::tokens).toList());
    }

    @Test
    void aLayerWithoutLoadStillFillsEveryGroupWhenCopiesCollideAtTheEnd() {
        // Layer 1 has no tokens: its 9 slots are 3 copies of expert 0 and 2 of each other, dealt by the groups'
        // earlier load; the last two copies (of expert 3) find only one group with room, which must be made.
        ExpertLoad load = ExpertLoad.of(new double[][] {{5, 3, 2, 1}, {0, 0, 0, 0}});
        PlacementPlanner planner = new PlacementPlanner(3, 1, 2, OptionalInt.of(1));
        assertValid(planner.plan(load), load, 3, 1, 2);
    }

    @Test
    void randomShapesAndLoadsAlwaysGiveAValidPlan() {
        SplittableRandom random = new SplittableRandom(3);
        for (int trial = 0; trial < 300; trial++) {
            int layers = 1 + random.nextInt(5);
            int experts = 1 + random.nextInt(20);
            int groups = 1 + random.nextInt(experts);
            int maxReplicas = 1 + random.nextInt(5);
            int minReplicas = 1 + random.nextInt(maxReplicas);
            double[][] tokens = new double[layers][experts];
            for (double[] row : tokens) {
                boolean dense = random.nextInt(4) == 0;
                for (int e = 0; e < experts; e++) {
                    row[e] = dense || random.nextInt(3) == 0 ? 0 : random.nextInt(1000);
                }
            }
            tokens[0][0] += 1;
            ExpertLoad load = ExpertLoad.of(tokens);
            PlacementPlanner planner = new PlacementPlanner(groups, minReplicas, maxReplicas,
                    OptionalInt.of(random.nextInt(4)));
            assertValid(planner.plan(load), load, planner.slotsPerLayer(experts), minReplicas, maxReplicas);
        }
    }

    @Test
    void refusesWhatCannotBePlanned() {
        ExpertLoad load = ZipfLoads.load(2, 8, 1.0, false, 1);
        assertThrows(IllegalArgumentException.class, () -> new PlacementPlanner(0, 1, 1, OptionalInt.empty()));
        assertThrows(IllegalArgumentException.class, () -> new PlacementPlanner(2, 1, 0, OptionalInt.empty()));
        assertThrows(IllegalArgumentException.class, () -> new PlacementPlanner(2, 3, 2, OptionalInt.empty()));
        assertThrows(IllegalArgumentException.class, () -> new PlacementPlanner(2, 1, 2, OptionalInt.of(-1)));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> new PlacementPlanner(9, 1, 2, OptionalInt.empty()).plan(load)).getMessage().contains("9 groups for 8"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> new PlacementPlanner(2, 1, 2, OptionalInt.empty()).plan(ExpertLoad.of(new double[2][8])))
                .getMessage().contains("all zeros"));
    }

    /**
     * Every (layer, expert) hosted; every group S slots in every layer (so no expert twice: hosted is a set);
     * hosted specs that parse back to the same set; replicas within bounds, the hottest group on the most, and no
     * group's replicas busier than the hottest group's.
     */
    static void assertValid(PlacementPlan plan, ExpertLoad load, int slotsPerLayer, int minReplicas, int maxReplicas) {
        boolean[][] covered = new boolean[load.layers()][load.experts()];
        for (ExpertGroup g : plan.groups()) {
            g.hosted().forEach(p -> covered[p.layer()][p.expert()] = true);
            for (int layer = 0; layer < load.layers(); layer++) {
                assertEquals(slotsPerLayer, g.slotsIn(layer), g.name() + " in layer " + layer);
            }
            assertEquals(g.hosted(), HostedRange.pairsOf(g.hostedSpec()), g.hostedSpec());
            assertTrue(g.replicas() >= minReplicas && g.replicas() <= maxReplicas, g.name() + ": " + g.replicas());
        }
        for (int layer = 0; layer < load.layers(); layer++) {
            for (int expert = 0; expert < load.experts(); expert++) {
                assertTrue(covered[layer][expert], "layer " + layer + " expert " + expert + " is hosted nowhere");
            }
        }
        List<PlanBalance.GroupLoad> groups = PlanBalance.of(plan, load).groups();
        PlanBalance.GroupLoad hottest = groups.stream()
                .max(java.util.Comparator.comparingDouble(PlanBalance.GroupLoad::tokens)).orElseThrow();
        assertEquals(maxReplicas, hottest.group().replicas(), "the hottest group runs the most replicas");
        for (PlanBalance.GroupLoad g : groups) {
            assertTrue(g.group().replicas() == minReplicas
                            || g.tokensPerReplica() <= hottest.tokensPerReplica() * (1 + 1e-9),
                    g.group().name() + " replicas busier than the hottest group's");
        }
    }

    /** The naive plan's max/mean computed here from the definition: group g = the g-th slice of experts. */
    private static double naiveImbalance(ExpertLoad load, int groups, int onlyLayer) {
        double[] perGroup = new double[groups];
        for (int layer = 0; layer < load.layers(); layer++) {
            if (onlyLayer >= 0 && layer != onlyLayer) {
                continue;
            }
            for (int e = 0; e < load.experts(); e++) {
                int g = 0;
                while ((long) load.experts() * (g + 1) / groups <= e) {
                    g++;
                }
                perGroup[g] += load.tokens(layer, e);
            }
        }
        double sum = java.util.Arrays.stream(perGroup).sum();
        return java.util.Arrays.stream(perGroup).max().orElseThrow() / (sum / groups);
    }

    private static double worstNaiveLayerImbalance(ExpertLoad load, int groups) {
        double worst = 0;
        for (int layer = 0; layer < load.layers(); layer++) {
            worst = Math.max(worst, naiveImbalance(load, groups, layer));
        }
        return worst;
    }
}

package io.moemesh.core.placement;

import java.util.ArrayList;
import java.util.List;

/**
 * How evenly a plan spreads a load over the replicas, under the planner's model: each (layer, expert)'s tokens split
 * evenly over the groups hosting it, each group's tokens evenly over its replicas.
 *
 * @param groups              each group's tokens, all layers together
 * @param imbalance           max / mean tokens per replica, all layers together (1.0 is even)
 * @param worstLayerImbalance the same per layer, for the worst layer (a layer step waits for its slowest replica);
 *                            NaN when no layer has tokens
 * @param worstLayer          that layer (-1 when no layer has tokens)
 */
public record PlanBalance(List<GroupLoad> groups, double imbalance, double worstLayerImbalance, int worstLayer) {

    public record GroupLoad(ExpertGroup group, double tokens) {
        public double tokensPerReplica() {
            return tokens / group.replicas();
        }
    }

    public PlanBalance {
        groups = List.copyOf(groups);
    }

    public static PlanBalance of(PlacementPlan plan, ExpertLoad load) {
        if (plan.layers() != load.layers() || plan.experts() != load.experts()) {
            throw new IllegalArgumentException("a plan for " + plan.layers() + " x " + plan.experts()
                    + " experts cannot serve a load of " + load.layers() + " x " + load.experts());
        }
        int[][] copies = new int[load.layers()][load.experts()];
        for (ExpertGroup g : plan.groups()) {
            g.hosted().forEach(p -> copies[p.layer()][p.expert()]++);
        }
        for (int layer = 0; layer < load.layers(); layer++) {
            for (int expert = 0; expert < load.experts(); expert++) {
                if (copies[layer][expert] == 0 && load.tokens(layer, expert) > 0) {
                    throw new IllegalArgumentException("no group hosts layer " + layer + " expert " + expert);
                }
            }
        }
        int groups = plan.groups().size();
        double[][] tokensByLayer = new double[groups][load.layers()];
        List<GroupLoad> loads = new ArrayList<>();
        for (int g = 0; g < groups; g++) {
            ExpertGroup group = plan.groups().get(g);
            double total = 0;
            for (LayerExpert p : group.hosted()) {
                double share = load.tokens(p.layer(), p.expert()) / copies[p.layer()][p.expert()];
                tokensByLayer[g][p.layer()] += share;
                total += share;
            }
            loads.add(new GroupLoad(group, total));
        }
        int[] replicas = plan.groups().stream().mapToInt(ExpertGroup::replicas).toArray();
        double worst = Double.NaN;
        int worstLayer = -1;
        for (int layer = 0; layer < load.layers(); layer++) {
            double[] perGroup = new double[groups];
            for (int g = 0; g < groups; g++) {
                perGroup[g] = tokensByLayer[g][layer];
            }
            double layerImbalance = maxOverMeanPerReplica(perGroup, replicas);
            // A layer without tokens (a dense one) has no imbalance to speak of.
            if (!Double.isNaN(layerImbalance) && (worstLayer < 0 || layerImbalance > worst)) {
                worst = layerImbalance;
                worstLayer = layer;
            }
        }
        double[] totals = loads.stream().mapToDouble(GroupLoad::tokens).toArray();
        return new PlanBalance(loads, maxOverMeanPerReplica(totals, replicas), worst, worstLayer);
    }

    /** max over replicas of their tokens / the mean over all replicas; NaN without tokens. */
    private static double maxOverMeanPerReplica(double[] groupTokens, int[] replicas) {
        double total = 0;
        double max = 0;
        int replicaCount = 0;
        for (int g = 0; g < groupTokens.length; g++) {
            total += groupTokens[g];
            replicaCount += replicas[g];
            max = Math.max(max, groupTokens[g] / replicas[g]);
        }
        return total > 0 ? max / (total / replicaCount) : Double.NaN;
    }
}

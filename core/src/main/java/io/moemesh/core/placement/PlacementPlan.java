package io.moemesh.core.placement;

import java.util.List;

/** Where a model's experts live: the expert groups of the fleet, for a model of {@code layers} x {@code experts}. */
public record PlacementPlan(int layers, int experts, List<ExpertGroup> groups) {

    public PlacementPlan {
        groups = List.copyOf(groups);
    }

    public int replicas() {
        return groups.stream().mapToInt(ExpertGroup::replicas).sum();
    }
}

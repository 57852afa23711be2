package io.moemesh.core.placement;

import java.util.Collections;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * One expert group of the fleet (a Kubernetes Deployment): {@code replicas} identical replicas, each holding every
 * (layer, expert) FFN of {@code hosted}.
 */
public record ExpertGroup(String name, SortedSet<LayerExpert> hosted, int replicas) {

    public ExpertGroup {
        if (replicas < 1) {
            throw new IllegalArgumentException("group " + name + " needs at least one replica, got " + replicas);
        }
        hosted = Collections.unmodifiableSortedSet(new TreeSet<>(hosted));
    }

    /** What the group's expert-services are told to host ({@code moemesh.expert.hosted}). */
    public String hostedSpec() {
        return HostedRange.formatSpec(hosted);
    }

    /** How many experts of {@code layer} the group hosts. */
    public int slotsIn(int layer) {
        return hosted.subSet(new LayerExpert(layer, 0), new LayerExpert(layer + 1, 0)).size();
    }
}

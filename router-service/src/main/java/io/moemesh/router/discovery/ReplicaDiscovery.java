package io.moemesh.router.discovery;

import java.util.List;

/**
 * Where the router learns which expert-service replicas exist right now. Asked on every placement refresh, so
 * replicas that an autoscaler adds or removes are picked up without a restart.
 */
@FunctionalInterface
public interface ReplicaDiscovery {

    /** One replica: its gRPC target and the expert group (Deployment) it belongs to. */
    record Replica(String endpoint, String group) {
    }

    List<Replica> discover();

    /** This discovery's replicas followed by the other's. */
    default ReplicaDiscovery and(ReplicaDiscovery other) {
        return () -> {
            List<Replica> all = new java.util.ArrayList<>(discover());
            all.addAll(other.discover());
            return all;
        };
    }

    /** A fixed list of endpoints, all in one group: the configuration of a mesh without DNS. */
    static ReplicaDiscovery fixed(List<String> endpoints, String group) {
        List<Replica> replicas = endpoints.stream().map(String::strip).filter(s -> !s.isEmpty())
                .map(e -> new Replica(e, group)).toList();
        return () -> replicas;
    }
}

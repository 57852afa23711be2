package io.moemesh.router;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.util.List;
import java.util.Optional;

@ConfigMapping(prefix = "moemesh.router")
public interface RouterConfig {

    /** The checkpoint directory: config.json and the shards holding the gate weights. */
    String modelDir();

    /** gRPC targets (host:port) of expert-service replicas to dispatch to: a fixed list (group "static"). */
    Optional<List<String>> expertEndpoints();

    /**
     * Expert groups found through DNS: {@code GROUP=HOST:PORT} entries, HOST being the group's headless Service,
     * whose address records are its ready pods. Re-resolved on every placement refresh, so replicas the autoscaler
     * adds or removes join and leave without a restart. Environment: MOEMESH_ROUTER_EXPERT_GROUPS.
     */
    Optional<List<String>> expertGroups();

    /**
     * Deadline of one Compute call to a replica. A replica that misses it is treated as unavailable and its part
     * of the batch goes to another replica, so this bounds how long a slow host can stall a layer.
     */
    @WithDefault("5000")
    long expertTimeoutMillis();

    /** How long a replica that failed stays out of rotation before the router tries it again. */
    @WithDefault("1000")
    long replicaBackoffMillis();

    /**
     * How often the replicas are discovered again and the placement rebuilt from every replica's Describe (picks up
     * added, removed, restarted or re-planned hosts).
     */
    @WithDefault("5000")
    long placementRefreshMillis();

    /** dtype of the token rows and partial sums on the router -> expert hop: F32 (exact) or BF16 (half the bytes). */
    @WithDefault("F32")
    String expertWireDtype();
}

package io.moemesh.router;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.util.List;
import java.util.Optional;

@ConfigMapping(prefix = "moemesh.router")
public interface RouterConfig {

    /** The checkpoint directory: config.json and the shards holding the gate weights. */
    String modelDir();

    /** gRPC targets (host:port) of the expert-service replicas to dispatch to. */
    Optional<List<String>> expertEndpoints();

    /**
     * Deadline of one Compute call to a replica. A replica that misses it is treated as unavailable and its part
     * of the batch goes to another replica, so this bounds how long a slow host can stall a layer.
     */
    @WithDefault("5000")
    long expertTimeoutMillis();

    /** How long a replica that failed stays out of rotation before the router tries it again. */
    @WithDefault("1000")
    long replicaBackoffMillis();

    /** How often the placement is rebuilt from every replica's Describe (picks up restarted or re-planned hosts). */
    @WithDefault("5000")
    long placementRefreshMillis();

    /** dtype of the token rows and partial sums on the router -> expert hop: F32 (exact) or BF16 (half the bytes). */
    @WithDefault("F32")
    String expertWireDtype();
}

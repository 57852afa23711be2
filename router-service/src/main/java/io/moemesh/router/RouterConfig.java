package io.moemesh.router;

import io.smallrye.config.ConfigMapping;
import java.util.List;
import java.util.Optional;

@ConfigMapping(prefix = "moemesh.router")
public interface RouterConfig {

    /** The checkpoint directory: config.json and the shards holding the gate weights. */
    String modelDir();

    /** gRPC targets (host:port) of the expert-service replicas to dispatch to. */
    Optional<List<String>> expertEndpoints();
}

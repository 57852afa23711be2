package io.moemesh.expert;

import io.smallrye.config.ConfigMapping;

@ConfigMapping(prefix = "moemesh.expert")
public interface ExpertConfig {

    /** The checkpoint directory: config.json and the safetensors shards holding this replica's experts. */
    String modelDir();

    /**
     * The (layer, expert) FFNs this replica hosts, in the syntax of
     * {@link io.moemesh.core.placement.HostedRange#parseSpec(String)}.
     */
    String hosted();

    /**
     * The expert group (Kubernetes Deployment) this replica belongs to: the {@code group} tag of its metrics.
     * Environment: MOEMESH_EXPERT_GROUP.
     */
    @io.smallrye.config.WithDefault("default")
    String group();

    /** Weight format at load: stored, bf16, int8, q4, q4a8 or auto (see WeightPlan#parse for per-role specs). */
    @io.smallrye.config.WithDefault("stored")
    String weights();
}

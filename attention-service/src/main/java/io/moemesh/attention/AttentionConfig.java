package io.moemesh.attention;

import io.smallrye.config.ConfigMapping;
import java.util.Optional;

@ConfigMapping(prefix = "moemesh.attention")
public interface AttentionConfig {

    /** The checkpoint directory: config.json and the shards holding the attention weights. */
    String modelDir();

    /** Owned layers in the syntax of {@link LayerRange#parseSpec(String)}; empty means every layer. */
    Optional<String> layers();

    /** Weight format at load: stored, bf16, int8, q4, q4a8 or auto (see WeightPlan#parse for per-role specs). */
    @io.smallrye.config.WithDefault("stored")
    String weights();
}

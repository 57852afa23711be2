package io.moemesh.gateway;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

@ConfigMapping(prefix = "moemesh.gateway")
public interface GatewayConfig {

    /** The checkpoint directory: config.json, tokenizer files, and the embedding and lm_head weights. */
    String modelDir();

    /** The model id clients name in requests and that GET /v1/models lists. */
    @WithDefault("moe-mesh-default")
    String modelId();
}

package io.moemesh.gateway.api;

import java.util.HashMap;
import java.util.Map;

/** The embedded model behind an API key, with room for one running sequence and one waiting request. */
public class LimitedGatewayProfile extends EmbeddedModelProfile {
    public static final String KEY = "sk-test-moe-mesh";

    @Override
    public Map<String, String> getConfigOverrides() {
        Map<String, String> config = new HashMap<>(super.getConfigOverrides());
        config.put("moemesh.gateway.api-key", KEY);
        config.put("moemesh.gateway.max-batch", "1");
        config.put("moemesh.gateway.max-queue", "1");
        return config;
    }
}

package io.moemesh.gateway;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import java.util.Map;

/** A real attention-service process on the fixture model, and the gateway pointed at it. */
public class RemoteAttentionResource implements QuarkusTestResourceLifecycleManager {
    static volatile ServiceProcess attention;

    @Override
    public Map<String, String> start() {
        attention = ServiceProcess.start("attention-service", Map.of("moemesh.attention.model-dir", FixtureModel.dir().toString()));
        return Map.of("moemesh.gateway.model-dir", FixtureModel.dir().toString(),
                "moemesh.gateway.attention-endpoint", attention.endpoint(),
                "moemesh.gateway.attention-timeout-millis", "5000");
    }

    @Override
    public void stop() {
        if (attention != null) {
            attention.close();
        }
    }
}

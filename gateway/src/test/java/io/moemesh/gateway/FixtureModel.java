package io.moemesh.gateway;

import io.moemesh.core.ReferenceFixture;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import java.nio.file.Path;
import java.util.Map;

/** Starts the service on the tiny-qwen3-moe reference checkpoint (4 layers, 16 experts top-4). */
public class FixtureModel implements QuarkusTestResourceLifecycleManager {
    public static final String MODEL = "tiny-qwen3-moe";

    public static Path dir() {
        return ReferenceFixture.modelDir(MODEL);
    }

    @Override
    public Map<String, String> start() {
        return Map.of("moemesh.gateway.model-dir", dir().toString());
    }

    @Override
    public void stop() {
    }
}

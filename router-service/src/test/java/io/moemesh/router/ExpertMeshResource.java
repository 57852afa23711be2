package io.moemesh.router;

import io.moemesh.core.ReferenceFixture;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.util.Map;

/** Three expert-service JVMs serving tiny-qwen3-moe (every expert on two of them), and the router pointed at them. */
public class ExpertMeshResource implements QuarkusTestResourceLifecycleManager {
    static final String MODEL = "tiny-qwen3-moe";

    @Override
    public Map<String, String> start() {
        ExpertFleet.startAll(ReferenceFixture.modelDir(MODEL));
        return Map.of(
                "moemesh.router.model-dir", ReferenceFixture.modelDir(MODEL).toString(),
                "moemesh.router.expert-endpoints", ExpertFleet.endpoints(),
                "moemesh.router.expert-timeout-millis", "5000",
                // short, so that the restart tests need not wait long for a replica to be tried again
                "moemesh.router.replica-backoff-millis", "300",
                "moemesh.router.placement-refresh-millis", "1000");
    }

    @Override
    public void stop() {
        ExpertFleet.stopAll();
    }
}

package io.moemesh.router.dispatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.moemesh.core.ReferenceFixture;
import io.moemesh.core.config.Qwen3Config;
import io.moemesh.core.weights.Checkpoint;
import io.moemesh.core.weights.LoadMode;
import io.moemesh.router.discovery.ReplicaDiscovery;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The router's gauges read its placement while it runs and leave the registry when it stops. */
class GroupMetricsTest {
    @Test
    void gaugesFollowThePlacementAndLeaveOnClose() {
        Qwen3Config c;
        try (Checkpoint ck = Checkpoint.open(ReferenceFixture.modelDir("tiny-qwen3-moe"), LoadMode.MEMORY)) {
            c = ck.config();
        }
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (Placement placement = new Placement(c, ReplicaDiscovery.fixed(List.of("127.0.0.1:1"), "g0"), 100, 300)) {
            GroupMetrics metrics = new GroupMetrics(registry, placement);
            metrics.watchGroup("g0", placement);
            placement.refresh();
            assertEquals(0, registry.get("moemesh.router.outstanding.rows").gauge().value());
            assertEquals(0, registry.get("moemesh.router.group.replicas").tag("group", "g0").gauge().value(),
                    "the one replica is down");
            metrics.close();
            assertNull(registry.find("moemesh.router.outstanding.rows").gauge());
            assertNull(registry.find("moemesh.router.group.replicas").gauge());
        }
    }
}

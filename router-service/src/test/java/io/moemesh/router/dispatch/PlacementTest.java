package io.moemesh.router.dispatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.moemesh.core.ReferenceFixture;
import io.moemesh.core.config.Qwen3Config;
import io.moemesh.core.roles.ExpertBatch;
import io.moemesh.core.weights.Checkpoint;
import io.moemesh.core.weights.LoadMode;
import io.moemesh.core.wire.WireDType;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Without a process: a replica nobody listens on leaves the placement incomplete and names what is missing. */
class PlacementTest {
    private static Qwen3Config config() {
        try (Checkpoint ck = Checkpoint.open(ReferenceFixture.modelDir("tiny-qwen3-moe"), LoadMode.MEMORY)) {
            return ck.config();
        }
    }

    @Test
    void anUnreachableReplicaLeavesEveryExpertMissingAndDispatchFailsNamingLayerAndExpert() {
        Qwen3Config c = config();
        try (Placement placement = new Placement(c, List.of(new ExpertReplica("127.0.0.1:1", 100)), 300)) {
            assertFalse(placement.built());
            placement.refresh();
            assertTrue(placement.built());
            assertEquals(c.numHiddenLayers() * c.numExperts(), placement.missing().size());
            assertEquals("layer 0 expert 0", placement.missing().getFirst());
            assertTrue(placement.down().containsKey("127.0.0.1:1"), placement.down()::toString);

            RemoteExperts experts = new RemoteExperts(placement,
                    new ExpertTokenCounters(new SimpleMeterRegistry(), c.numHiddenLayers(), c.numExperts()),
                    new ExpertWireCounters(new SimpleMeterRegistry()), 300, WireDType.F32);
            int hidden = c.hiddenSize();
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> experts.compute(
                    new ExpertBatch(2, 1, hidden, new float[hidden], 1, new int[] {7}, new float[] {1f})));
            assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
            assertEquals("no live replica for expert 7 of layer 2: no replica hosts it", e.getStatus().getDescription());
        }
    }
}

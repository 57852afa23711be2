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
import io.moemesh.router.discovery.ReplicaDiscovery;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
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
        try (Placement placement = new Placement(c, ReplicaDiscovery.fixed(List.of("127.0.0.1:1"), "g0"), 100, 300)) {
            assertFalse(placement.built());
            placement.refresh();
            assertTrue(placement.built());
            assertEquals(c.numHiddenLayers() * c.numExperts(), placement.missing().size());
            assertEquals("layer 0 expert 0", placement.missing().getFirst());
            assertTrue(placement.down().containsKey("127.0.0.1:1"), placement.down()::toString);

            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            RemoteExperts experts = new RemoteExperts(placement,
                    new ExpertTokenCounters(registry, c.numHiddenLayers(), c.numExperts()),
                    new ExpertWireCounters(registry), new GroupMetrics(registry, placement), 300, WireDType.F32);
            int hidden = c.hiddenSize();
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> experts.compute(
                    new ExpertBatch(2, 1, hidden, new float[hidden], 1, new int[] {7}, new float[] {1f})));
            assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
            assertEquals("no live replica for expert 7 of layer 2: no replica hosts it", e.getStatus().getDescription());
            assertEquals(1, registry.get("moemesh.router.layer.dispatch").tag("layer", "2").timer().count(),
                    "a failed dispatch is timed too");
        }
    }

    @Test
    void followsDiscoveryReplicasJoinAndLeaveKeepingTheOnesThatStay() {
        Qwen3Config c = config();
        List<ReplicaDiscovery.Replica> found = new CopyOnWriteArrayList<>(List.of(
                new ReplicaDiscovery.Replica("127.0.0.1:1", "g0"), new ReplicaDiscovery.Replica("127.0.0.1:2", "g1")));
        try (Placement placement = new Placement(c, () -> List.copyOf(found), 100, 200)) {
            placement.refresh();
            ExpertReplica first = placement.replicas().getFirst();
            assertEquals(List.of("127.0.0.1:1", "127.0.0.1:2"), endpoints(placement));
            assertEquals("g0", first.group());

            found.add(new ReplicaDiscovery.Replica("127.0.0.1:3", "g1"));
            found.removeFirst();
            placement.refresh();
            assertEquals(List.of("127.0.0.1:2", "127.0.0.1:3"), endpoints(placement));
            assertFalse(placement.down().containsKey("127.0.0.1:1"), "a replica that left is no longer reported");

            found.addFirst(new ReplicaDiscovery.Replica("127.0.0.1:1", "g0"));
            placement.refresh();
            assertTrue(placement.replicas().getFirst() != first, "one that comes back gets a new channel");
        }
    }

    private static List<String> endpoints(Placement placement) {
        return placement.replicas().stream().map(ExpertReplica::endpoint).toList();
    }
}

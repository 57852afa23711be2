package io.moemesh.router.dispatch;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.moemesh.proto.common.v1.ExpertWireStats;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Bytes the router moves to and from the expert replicas, next to the least that the same routing needs (one
 * hidden vector to each (token, replica) pair and one sum back). Exported as Prometheus counters and in Describe.
 */
public final class ExpertWireCounters {
    private final AtomicLong layerBatches = new AtomicLong();
    private final AtomicLong tokenRows = new AtomicLong();
    private final AtomicLong hostRows = new AtomicLong();
    private final AtomicLong bytesSent = new AtomicLong();
    private final AtomicLong bytesReceived = new AtomicLong();
    private final AtomicLong minimumBytes = new AtomicLong();

    public ExpertWireCounters(MeterRegistry registry) {
        FunctionCounter.builder("moemesh_router_expert_wire_bytes", bytesSent, AtomicLong::get)
                .tag("direction", "sent").description("serialized Compute request bytes sent to expert replicas")
                .register(registry);
        FunctionCounter.builder("moemesh_router_expert_wire_bytes", bytesReceived, AtomicLong::get)
                .tag("direction", "received").description("serialized Compute response bytes from expert replicas")
                .register(registry);
        FunctionCounter.builder("moemesh_router_expert_wire_minimum_bytes", minimumBytes, AtomicLong::get)
                .description("one hidden vector per (token, replica) pair each way: the least the routing needs")
                .register(registry);
    }

    void batch(int tokens) {
        layerBatches.incrementAndGet();
        tokenRows.addAndGet(tokens);
    }

    /** One replica's part of a layer batch: {@code rows} vectors each way of {@code vectorBytes}. */
    void exchange(int rows, long vectorBytes, long sent, long received) {
        hostRows.addAndGet(rows);
        minimumBytes.addAndGet(2L * rows * vectorBytes);
        bytesSent.addAndGet(sent);
        bytesReceived.addAndGet(received);
    }

    public ExpertWireStats snapshot() {
        return ExpertWireStats.newBuilder()
                .setLayerBatches(layerBatches.get()).setTokenRows(tokenRows.get()).setHostRows(hostRows.get())
                .setBytesSent(bytesSent.get()).setBytesReceived(bytesReceived.get())
                .setMinimumBytes(minimumBytes.get())
                .build();
    }
}

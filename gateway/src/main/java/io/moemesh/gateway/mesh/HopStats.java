package io.moemesh.gateway.mesh;

import java.util.Arrays;

/**
 * Round trips and bytes of one remote role, per layer exchange: what `bench mesh` reads (through the gateway's
 * MeshStats call) to report p50/p99 per-layer round-trip time and bytes on the wire. Keeps the most recent
 * {@link #CAPACITY} samples; a reset starts a new measurement window.
 */
public final class HopStats {
    static final int CAPACITY = 1 << 20;

    /** Told of every exchange as it completes (the gateway's per-layer hop metric). */
    @FunctionalInterface
    public interface LayerHopListener {
        LayerHopListener NONE = (layer, elapsedNanos) -> { };

        void onHop(int layer, long elapsedNanos);
    }

    /** Percentiles in microseconds; bytes are protobuf payload (serialized message sizes). */
    public record Snapshot(long exchanges, long rows, double p50Micros, double p99Micros, long bytesSent,
                           long bytesReceived) {
    }

    private final LayerHopListener listener;
    private final long[] nanos = new long[CAPACITY];
    private long exchanges;
    private long rows;
    private long bytesSent;
    private long bytesReceived;

    public HopStats(LayerHopListener listener) {
        this.listener = listener;
    }

    public void record(int layer, long elapsedNanos, int rows, long sent, long received) {
        listener.onHop(layer, elapsedNanos);
        remember(elapsedNanos, rows, sent, received);
    }

    private synchronized void remember(long elapsedNanos, int rows, long sent, long received) {
        nanos[(int) (exchanges % CAPACITY)] = elapsedNanos;
        exchanges++;
        this.rows += rows;
        bytesSent += sent;
        bytesReceived += received;
    }

    public synchronized Snapshot snapshot(boolean reset) {
        int n = (int) Math.min(exchanges, CAPACITY);
        long[] sorted = Arrays.copyOf(nanos, n);
        Arrays.sort(sorted);
        Snapshot s = new Snapshot(exchanges, rows, percentile(sorted, 0.50) / 1e3, percentile(sorted, 0.99) / 1e3,
                bytesSent, bytesReceived);
        if (reset) {
            exchanges = rows = bytesSent = bytesReceived = 0;
        }
        return s;
    }

    /** Nearest-rank percentile. */
    private static double percentile(long[] sorted, double p) {
        if (sorted.length == 0) {
            return 0;
        }
        int rank = (int) Math.ceil(p * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }
}

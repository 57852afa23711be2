package io.moemesh.router.dispatch;

import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.moemesh.proto.expert.v1.ExpertServiceGrpc;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One expert-service process as the router sees it: a long-lived channel (no connection set-up per layer), the
 * token rows in flight to it (its outstanding work, for least-loaded choice), and whether it is in back-off after
 * a failure.
 */
public final class ExpertReplica implements AutoCloseable {
    private final String endpoint;
    private final String group;
    private final ManagedChannel channel;
    private final ExpertServiceGrpc.ExpertServiceStub stub;
    private final AtomicLong outstandingRows = new AtomicLong();
    private final long backoffNanos;
    /** System.nanoTime() before which the replica is skipped; Long.MIN_VALUE while healthy. */
    private volatile long downUntilNanos = Long.MIN_VALUE;
    private volatile String lastFailure = "";

    public ExpertReplica(String endpoint, String group, long backoffMillis) {
        this.endpoint = endpoint;
        this.group = group;
        // Plaintext: the mesh runs on a private network; TLS belongs to the service mesh / ingress.
        this.channel = ManagedChannelBuilder.forTarget(endpoint).usePlaintext()
                .maxInboundMessageSize(256 << 20)
                // The callbacks only complete a future: run them on the transport thread, one thread hop fewer
                // per expert call.
                .directExecutor().build();
        this.stub = ExpertServiceGrpc.newStub(channel);
        this.backoffNanos = TimeUnit.MILLISECONDS.toNanos(backoffMillis);
    }

    public String endpoint() {
        return endpoint;
    }

    /** The expert group (Deployment) this replica belongs to; metrics are per group. */
    public String group() {
        return group;
    }

    ExpertServiceGrpc.ExpertServiceStub stub() {
        return stub;
    }

    ExpertServiceGrpc.ExpertServiceBlockingStub blockingStub() {
        return ExpertServiceGrpc.newBlockingStub(channel);
    }

    public long outstandingRows() {
        return outstandingRows.get();
    }

    void started(int rows) {
        outstandingRows.addAndGet(rows);
    }

    void finished(int rows) {
        outstandingRows.addAndGet(-rows);
    }

    /**
     * Live unless in back-off. When the back-off has run out the replica gets another chance, but only once its
     * channel is out of TRANSIENT_FAILURE: a call on a channel in that state fails at once with the old error.
     */
    public boolean isLive() {
        long until = downUntilNanos;
        if (until == Long.MIN_VALUE) {
            return true;
        }
        if (System.nanoTime() - until < 0) {
            return false;
        }
        // gRPC's own reconnect back-off can be far longer than ours (up to minutes): reconnect now.
        channel.resetConnectBackoff();
        return channel.getState(true) != ConnectivityState.TRANSIENT_FAILURE;
    }

    /** Whether the last call or Describe to it succeeded (false from a failure until the next success). */
    public boolean healthy() {
        return downUntilNanos == Long.MIN_VALUE;
    }

    /** Before a Describe: reconnect at once rather than after gRPC's own (long) reconnect back-off. */
    void reconnectNow() {
        channel.resetConnectBackoff();
    }

    public void markDown(String why) {
        lastFailure = why;
        downUntilNanos = System.nanoTime() + backoffNanos;
    }

    public void markUp() {
        if (downUntilNanos != Long.MIN_VALUE) {
            downUntilNanos = Long.MIN_VALUE;
            channel.resetConnectBackoff();
        }
    }

    public String lastFailure() {
        return lastFailure;
    }

    /**
     * Left the fleet: no new calls (they fail at once, and the dispatcher retries them elsewhere), while the calls
     * already started complete. Does not wait.
     */
    void retire() {
        channel.shutdown();
    }

    @Override
    public void close() {
        channel.shutdown();
        try {
            if (!channel.awaitTermination(2, TimeUnit.SECONDS)) {
                channel.shutdownNow();
            }
        } catch (InterruptedException e) {
            channel.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return endpoint;
    }
}

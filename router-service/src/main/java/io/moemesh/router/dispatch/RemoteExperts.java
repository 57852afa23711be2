package io.moemesh.router.dispatch;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.moemesh.core.roles.ExpertBackend;
import io.moemesh.core.roles.ExpertBatch;
import io.moemesh.core.wire.ActivationCodec;
import io.moemesh.core.wire.WireDType;
import io.moemesh.proto.common.v1.DType;
import io.moemesh.proto.common.v1.Tensor;
import io.moemesh.proto.expert.v1.ComputeRequest;
import io.moemesh.proto.expert.v1.ComputeResponse;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * The expert role over gRPC: one layer batch → one Compute per replica involved (only its token rows), sent in
 * parallel under a deadline, partial sums added up. A batch is idempotent, so the part of a replica that is
 * unavailable or too slow is sent again to another replica of the same experts; the failed replica sits out a
 * back-off. Failures stay inside the batch that saw them: other batches keep using the other replicas.
 */
public final class RemoteExperts implements ExpertBackend {
    private static final Logger LOG = Logger.getLogger(RemoteExperts.class);

    private final Placement placement;
    private final ExpertTokenCounters counters;
    private final ExpertWireCounters wireCounters;
    private final GroupMetrics groupMetrics;
    private final long timeoutMillis;
    private final WireDType wire;

    public RemoteExperts(Placement placement, ExpertTokenCounters counters, ExpertWireCounters wireCounters,
                         GroupMetrics groupMetrics, long timeoutMillis, WireDType wire) {
        this.placement = placement;
        this.counters = counters;
        this.wireCounters = wireCounters;
        this.groupMetrics = groupMetrics;
        this.timeoutMillis = timeoutMillis;
        this.wire = wire;
    }

    @Override
    public float[] compute(ExpertBatch batch) {
        long start = System.nanoTime();
        try {
            return dispatch(batch);
        } finally {
            groupMetrics.layerDispatched(batch.layer(), System.nanoTime() - start);
        }
    }

    private float[] dispatch(ExpertBatch batch) {
        countTokens(batch);
        wireCounters.batch(batch.tokens());
        float[] out = new float[batch.tokens() * batch.hidden()];
        boolean[] pending = new boolean[batch.experts().length];
        for (int a = 0; a < pending.length; a++) {
            pending[a] = batch.experts()[a] >= 0;
        }
        Set<ExpertReplica> failed = new HashSet<>();
        // Each round either finishes every pending assignment or removes at least one replica from the candidates,
        // so this ends after at most (replicas + 1) rounds.
        while (true) {
            List<ReplicaBatch> plan = plan(batch, pending, failed);
            if (plan.isEmpty()) {
                return out;
            }
            List<CompletableFuture<ComputeResponse>> calls = new ArrayList<>(plan.size());
            int[] requestBytes = new int[plan.size()];
            for (int i = 0; i < plan.size(); i++) {
                ComputeRequest request = plan.get(i).request(batch, wire);
                requestBytes[i] = request.getSerializedSize();
                calls.add(send(plan.get(i), request));
            }
            // Add in plan order, not arrival order: the same placement gives the same float sums every time.
            for (int i = 0; i < plan.size(); i++) {
                ReplicaBatch part = plan.get(i);
                try {
                    ComputeResponse response = calls.get(i).get();
                    wireCounters.exchange(part.rows().length, (long) batch.hidden() * wire.bytesPerElement(),
                            requestBytes[i], response.getSerializedSize());
                    Tensor sums = response.getPartialSums();
                    float[] partial = ActivationCodec.decode(sums.getData().asReadOnlyByteBuffer(),
                            sums.getDtype() == DType.BF16 ? WireDType.BF16 : WireDType.F32,
                            part.rows().length, batch.hidden());
                    part.addInto(out, partial, batch.hidden());
                    part.replica().markUp();
                    groupMetrics.tokens(part.replica().group(), part.assignments());
                    for (int a = 0; a < pending.length; a++) {
                        pending[a] &= !part.assigned()[a];
                    }
                } catch (ExecutionException e) {
                    Status status = Status.fromThrowable(e.getCause());
                    if (!retriable(status)) {
                        throw status.augmentDescription("from expert replica " + part.replica() + ", layer "
                                + batch.layer()).asRuntimeException();
                    }
                    LOG.warnf("expert replica %s failed layer %d (%s): re-dispatching its %d rows", part.replica(),
                            batch.layer(), status, part.rows().length);
                    part.replica().markDown(status.getCode() + ": " + status.getDescription());
                    failed.add(part.replica());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    calls.forEach(c -> c.cancel(true));
                    throw Status.CANCELLED.withDescription("interrupted while waiting for expert replicas")
                            .asRuntimeException();
                }
            }
        }
    }

    /** Unavailable, too slow, or the connection broke: the same batch may succeed on another replica. */
    private static boolean retriable(Status status) {
        return switch (status.getCode()) {
            case UNAVAILABLE, DEADLINE_EXCEEDED, CANCELLED, ABORTED, RESOURCE_EXHAUSTED -> true;
            case UNKNOWN -> status.getCause() != null; // a transport exception that gRPC did not classify
            default -> false;
        };
    }

    /**
     * Chooses one live replica for every (layer, expert) still pending: the one with the least outstanding work,
     * counting what this batch is about to give it, so a batch's experts spread over their replicas.
     */
    private List<ReplicaBatch> plan(ExpertBatch batch, boolean[] pending, Set<ExpertReplica> failed) {
        int layer = batch.layer(), slots = batch.slots();
        Map<Integer, ExpertReplica> chosen = new LinkedHashMap<>();
        Map<ExpertReplica, Long> planned = new IdentityHashMap<>();
        Map<ExpertReplica, boolean[]> assigned = new LinkedHashMap<>();
        for (int a = 0; a < pending.length; a++) {
            if (!pending[a]) {
                continue;
            }
            int expert = batch.experts()[a];
            ExpertReplica replica = chosen.get(expert);
            if (replica == null) {
                replica = choose(layer, expert, failed, planned);
                chosen.put(expert, replica);
            }
            planned.merge(replica, 1L, Long::sum);
            assigned.computeIfAbsent(replica, r -> new boolean[pending.length])[a] = true;
        }
        List<ReplicaBatch> plan = new ArrayList<>();
        assigned.forEach((replica, mask) -> {
            int[] rows = new int[batch.tokens()];
            int n = 0;
            for (int t = 0; t < batch.tokens(); t++) {
                for (int s = 0; s < slots; s++) {
                    if (mask[t * slots + s]) {
                        rows[n++] = t;
                        break;
                    }
                }
            }
            plan.add(new ReplicaBatch(replica, java.util.Arrays.copyOf(rows, n), mask));
        });
        return plan;
    }

    private ExpertReplica choose(int layer, int expert, Set<ExpertReplica> failed, Map<ExpertReplica, Long> planned) {
        ExpertReplica[] hosts = placement.hosts(layer, expert);
        ExpertReplica best = null;
        long bestWork = Long.MAX_VALUE;
        for (ExpertReplica r : hosts) {
            if (failed.contains(r) || !r.isLive()) {
                continue;
            }
            long work = r.outstandingRows() + planned.getOrDefault(r, 0L);
            if (work < bestWork) {
                best = r;
                bestWork = work;
            }
        }
        if (best == null) {
            List<String> why = new ArrayList<>();
            for (ExpertReplica r : hosts) {
                why.add(r.endpoint() + " (" + r.lastFailure() + ")");
            }
            throw new StatusRuntimeException(Status.UNAVAILABLE.withDescription("no live replica for expert " + expert
                    + " of layer " + layer + (hosts.length == 0 ? ": no replica hosts it" : "; hosts down: " + why)));
        }
        return best;
    }

    private CompletableFuture<ComputeResponse> send(ReplicaBatch part, ComputeRequest request) {
        CompletableFuture<ComputeResponse> result = new CompletableFuture<>();
        int rows = part.rows().length;
        ExpertReplica replica = part.replica();
        replica.started(rows);
        try {
            replica.stub().withDeadlineAfter(timeoutMillis, TimeUnit.MILLISECONDS)
                    .compute(request, new StreamObserver<>() {
                        @Override
                        public void onNext(ComputeResponse value) {
                            result.complete(value);
                        }

                        @Override
                        public void onError(Throwable t) {
                            replica.finished(rows);
                            result.completeExceptionally(t);
                        }

                        @Override
                        public void onCompleted() {
                            replica.finished(rows);
                            if (!result.isDone()) {
                                result.completeExceptionally(Status.INTERNAL
                                        .withDescription("expert replica " + replica + " sent no response")
                                        .asRuntimeException());
                            }
                        }
                    });
        } catch (RuntimeException e) {
            replica.finished(rows);
            result.completeExceptionally(e);
        }
        return result;
    }

    private void countTokens(ExpertBatch batch) {
        int[] perExpert = new int[placement.config().numExperts()];
        for (int e : batch.experts()) {
            if (e >= 0) {
                perExpert[e]++;
            }
        }
        for (int e = 0; e < perExpert.length; e++) {
            if (perExpert[e] > 0) {
                counters.count(batch.layer(), e, perExpert[e]);
            }
        }
    }
}

package io.moemesh.gateway.mesh;

import com.google.protobuf.UnsafeByteOperations;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.moemesh.core.roles.AttentionBackend;
import io.moemesh.core.roles.SequenceRows;
import io.moemesh.core.wire.ActivationCodec;
import io.moemesh.core.wire.WireDType;
import io.moemesh.proto.attention.v1.AttendRequest;
import io.moemesh.proto.attention.v1.AttendResponse;
import io.moemesh.proto.attention.v1.AttentionServiceGrpc;
import io.moemesh.proto.attention.v1.ReleaseRequest;
import io.moemesh.proto.common.v1.DType;
import io.moemesh.proto.common.v1.Tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The attention role across the network: each layer's normed rows go to an attention-service, which keeps the
 * sequences' KV caches. One long-lived channel and one long-lived AttendStream: a step sends one request per
 * sequence back to back and reads the answers in order, one round trip per layer for the whole batch. The position
 * sent with every request lets the service catch a lost or repeated step instead of silently corrupting the cache.
 */
public final class RemoteAttention implements AttentionBackend {
    private static final org.jboss.logging.Logger LOG = org.jboss.logging.Logger.getLogger(RemoteAttention.class);
    private final ManagedChannel channel;
    private final AttentionServiceGrpc.AttentionServiceBlockingStub stub;
    private final PipelinedStream<AttendRequest, AttendResponse> stream;
    private final HopStats stats;
    private long requestIds;
    private final long timeoutMillis;
    private final WireDType wire;
    private final int layers;
    /** tokens cached per (sequence, layer), as the service should hold them */
    private final Map<Long, int[]> positions = new ConcurrentHashMap<>();

    public RemoteAttention(String endpoint, int layers, long timeoutMillis, WireDType wire,
                           HopStats.LayerHopListener hops) {
        this.stats = new HopStats(hops);
        this.channel = ManagedChannelBuilder.forTarget(endpoint).usePlaintext().maxInboundMessageSize(256 << 20)
                .directExecutor().build();   // callbacks only queue an answer: no thread hop on the hot path
        this.stub = AttentionServiceGrpc.newBlockingStub(channel);
        this.stream = new PipelinedStream<>("attention-service " + endpoint, AttentionServiceGrpc.newStub(channel)::attendStream);
        this.timeoutMillis = timeoutMillis;
        this.wire = wire;
        this.layers = layers;
    }

    @Override
    public float[] attend(int layer, long sequenceId, float[] normedHidden, int tokens) {
        return attend(layer, List.of(new SequenceRows(sequenceId, 0, tokens)), normedHidden, normedHidden.length / tokens);
    }

    @Override
    public float[] attend(int layer, List<SequenceRows> batch, float[] normedRows, int hidden) {
        List<AttendRequest> requests = new ArrayList<>(batch.size());
        long sent = 0;
        for (SequenceRows s : batch) {
            int[] cached = positions.computeIfAbsent(s.sequenceId(), id -> new int[layers]);
            int from = s.firstRow() * hidden, to = from + s.tokens() * hidden;
            AttendRequest request = AttendRequest.newBuilder()
                    .setRequestId(nextRequestId()).setSequenceId(s.sequenceId()).setLayer(layer).setPosition(cached[layer])
                    .setHidden(Tensor.newBuilder().setDtype(wire == WireDType.F32 ? DType.F32 : DType.BF16)
                            .addShape(s.tokens()).addShape(hidden)
                            .setData(UnsafeByteOperations.unsafeWrap(ActivationCodec.encode(
                                    java.util.Arrays.copyOfRange(normedRows, from, to), wire))))
                    .build();
            requests.add(request);
            sent += request.getSerializedSize();
        }
        long start = System.nanoTime();
        List<AttendResponse> responses = stream.exchange(requests, timeoutMillis);
        long elapsed = System.nanoTime() - start, received = 0;
        float[] out = new float[normedRows.length];
        for (int i = 0; i < batch.size(); i++) {
            SequenceRows s = batch.get(i);
            AttendResponse response = responses.get(i);
            received += response.getSerializedSize();
            positions.get(s.sequenceId())[layer] = response.getCachedTokens();
            Tensor o = response.getOutput();
            float[] rows = ActivationCodec.decode(o.getData().asReadOnlyByteBuffer(),
                    o.getDtype() == DType.F32 ? WireDType.F32 : WireDType.BF16, s.tokens(), hidden);
            System.arraycopy(rows, 0, out, s.firstRow() * hidden, rows.length);
        }
        stats.record(layer, elapsed, normedRows.length / hidden, sent, received);
        return out;
    }

    private synchronized long nextRequestId() {
        return ++requestIds;
    }

    /** Per-layer round trips to the attention-service and the bytes they carried. */
    public HopStats stats() {
        return stats;
    }

    @Override
    public int cachedTokens(long sequenceId) {
        int[] cached = positions.get(sequenceId);
        return cached == null ? 0 : java.util.Arrays.stream(cached).max().orElse(0);
    }

    /**
     * Best effort: release runs in the generator's finally block, often right after the service failed; throwing
     * here would hide the real error from the client.
     */
    @Override
    public void release(long sequenceId) {
        if (positions.remove(sequenceId) != null) {
            try {
                stub.withDeadlineAfter(timeoutMillis, TimeUnit.MILLISECONDS)
                        .release(ReleaseRequest.newBuilder().addSequenceIds(sequenceId).build());
            } catch (io.grpc.StatusRuntimeException e) {
                LOG.warnf("could not release sequence %d on the attention-service: %s", sequenceId, e.getStatus());
            }
        }
    }

    @Override
    public void close() {
        stream.close();
        channel.shutdownNow();
    }
}

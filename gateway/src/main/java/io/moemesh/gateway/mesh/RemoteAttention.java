package io.moemesh.gateway.mesh;

import com.google.protobuf.UnsafeByteOperations;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.moemesh.core.roles.AttentionBackend;
import io.moemesh.core.wire.ActivationCodec;
import io.moemesh.core.wire.WireDType;
import io.moemesh.proto.attention.v1.AttendRequest;
import io.moemesh.proto.attention.v1.AttendResponse;
import io.moemesh.proto.attention.v1.AttentionServiceGrpc;
import io.moemesh.proto.attention.v1.ReleaseRequest;
import io.moemesh.proto.common.v1.DType;
import io.moemesh.proto.common.v1.Tensor;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The attention role across the network: each layer's normed rows go to an attention-service, which keeps the
 * sequence's KV cache. One long-lived channel; the position sent with every call lets the service catch a lost
 * or repeated step instead of silently corrupting the cache.
 */
public final class RemoteAttention implements AttentionBackend {
    private static final org.jboss.logging.Logger LOG = org.jboss.logging.Logger.getLogger(RemoteAttention.class);
    private final ManagedChannel channel;
    private final AttentionServiceGrpc.AttentionServiceBlockingStub stub;
    private final long timeoutMillis;
    private final WireDType wire;
    private final int layers;
    /** tokens cached per (sequence, layer), as the service should hold them */
    private final Map<Long, int[]> positions = new ConcurrentHashMap<>();

    public RemoteAttention(String endpoint, int layers, long timeoutMillis, WireDType wire) {
        this.channel = ManagedChannelBuilder.forTarget(endpoint).usePlaintext().build();
        this.stub = AttentionServiceGrpc.newBlockingStub(channel);
        this.timeoutMillis = timeoutMillis;
        this.wire = wire;
        this.layers = layers;
    }

    @Override
    public float[] attend(int layer, long sequenceId, float[] normedHidden, int tokens) {
        int hidden = normedHidden.length / tokens;
        int[] cached = positions.computeIfAbsent(sequenceId, id -> new int[layers]);
        AttendResponse response = stub.withDeadlineAfter(timeoutMillis, TimeUnit.MILLISECONDS).attend(AttendRequest.newBuilder()
                .setSequenceId(sequenceId).setLayer(layer).setPosition(cached[layer])
                .setHidden(Tensor.newBuilder().setDtype(wire == WireDType.F32 ? DType.F32 : DType.BF16)
                        .addShape(tokens).addShape(hidden)
                        .setData(UnsafeByteOperations.unsafeWrap(ActivationCodec.encode(normedHidden, wire))))
                .build());
        cached[layer] = response.getCachedTokens();
        Tensor out = response.getOutput();
        return ActivationCodec.decode(out.getData().asReadOnlyByteBuffer(),
                out.getDtype() == DType.F32 ? WireDType.F32 : WireDType.BF16, tokens, hidden);
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
        channel.shutdownNow();
    }
}

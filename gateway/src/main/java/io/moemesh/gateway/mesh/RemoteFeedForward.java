package io.moemesh.gateway.mesh;

import com.google.protobuf.UnsafeByteOperations;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.moemesh.core.nn.Routing;
import io.moemesh.core.roles.FeedForwardBackend;
import io.moemesh.core.wire.ActivationCodec;
import io.moemesh.core.wire.WireDType;
import io.moemesh.proto.common.v1.DType;
import io.moemesh.proto.common.v1.ExpertWireStats;
import io.moemesh.proto.router.v1.DescribeRequest;
import io.moemesh.proto.common.v1.Tensor;
import io.moemesh.proto.router.v1.ForwardRequest;
import io.moemesh.proto.router.v1.ForwardResponse;
import io.moemesh.proto.router.v1.RouterServiceGrpc;

import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The feed-forward half of every layer on a router-service: it gates, dispatches to the expert replicas and
 * gathers (or runs the dense MLP). One long-lived channel and one long-lived ForwardStream; the whole step batch's
 * rows go in one message per layer.
 */
public final class RemoteFeedForward implements FeedForwardBackend {
    private final ManagedChannel channel;
    private final PipelinedStream<ForwardRequest, ForwardResponse> stream;
    private final HopStats stats;
    private long requestIds;
    private final long timeoutMillis;
    private final WireDType wire;
    private final boolean traceRouterLogits;
    private final int numExperts;

    /** @param traceRouterLogits ask for the gate logits too (the `forward` command shows them; serving does not) */
    public RemoteFeedForward(String endpoint, int numExperts, long timeoutMillis, WireDType wire, boolean traceRouterLogits,
                             HopStats.LayerHopListener hops) {
        this.stats = new HopStats(hops);
        this.channel = ManagedChannelBuilder.forTarget(endpoint).usePlaintext().maxInboundMessageSize(256 << 20)
                .directExecutor().build();   // callbacks only queue an answer: no thread hop on the hot path
        RouterServiceGrpc.RouterServiceStub stub = RouterServiceGrpc.newStub(channel);
        this.stream = new PipelinedStream<>("router-service " + endpoint, stub::forwardStream);
        this.timeoutMillis = timeoutMillis;
        this.wire = wire;
        this.traceRouterLogits = traceRouterLogits;
        this.numExperts = numExperts;
    }

    @Override
    public Output forward(int layer, float[] normedHidden, int tokens) {
        return forward(layer, normedHidden, tokens, traceRouterLogits);
    }

    @Override
    public Output forward(int layer, float[] normedHidden, int tokens, boolean withRouterLogits) {
        int hidden = normedHidden.length / tokens;
        ForwardRequest request = ForwardRequest.newBuilder()
                .setRequestId(nextRequestId()).setLayer(layer).setIncludeRouterLogits(withRouterLogits)
                .setHidden(Tensor.newBuilder().setDtype(wire == WireDType.F32 ? DType.F32 : DType.BF16)
                        .addShape(tokens).addShape(hidden)
                        .setData(UnsafeByteOperations.unsafeWrap(ActivationCodec.encode(normedHidden, wire))))
                .build();
        long start = System.nanoTime();
        ForwardResponse r = stream.exchange(List.of(request), timeoutMillis).get(0);
        stats.record(layer, System.nanoTime() - start, tokens, request.getSerializedSize(), r.getSerializedSize());
        float[] out = decode(r.getHidden(), tokens, hidden);
        Routing routing = null;
        if (r.getTopK() > 0) {
            int[] ids = r.getTopkIdsList().stream().mapToInt(Integer::intValue).toArray();
            float[] weights = new float[r.getTopkWeightsCount()];
            for (int i = 0; i < weights.length; i++) {
                weights[i] = r.getTopkWeights(i);
            }
            float[] logits = r.hasRouterLogits() ? decode(r.getRouterLogits(), tokens, numExperts) : null;
            routing = new Routing(tokens, r.getTopK(), numExperts, ids, weights, logits);
        }
        return new Output(out, routing);
    }

    private synchronized long nextRequestId() {
        return ++requestIds;
    }

    /** The router's cumulative traffic to its expert replicas (from its Describe). */
    public ExpertWireStats expertWire() {
        return RouterServiceGrpc.newBlockingStub(channel).withDeadlineAfter(timeoutMillis, TimeUnit.MILLISECONDS)
                .describe(DescribeRequest.getDefaultInstance()).getExpertWire();
    }

    /** Per-layer round trips to the router and the bytes they carried. */
    public HopStats stats() {
        return stats;
    }

    private static float[] decode(Tensor t, int rows, int cols) {
        return ActivationCodec.decode(t.getData().asReadOnlyByteBuffer(),
                t.getDtype() == DType.F32 ? WireDType.F32 : WireDType.BF16, rows, cols);
    }

    @Override
    public void close() {
        stream.close();
        channel.shutdownNow();
    }
}

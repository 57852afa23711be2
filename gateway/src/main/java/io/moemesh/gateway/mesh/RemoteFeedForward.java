package io.moemesh.gateway.mesh;

import com.google.protobuf.UnsafeByteOperations;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.moemesh.core.nn.Routing;
import io.moemesh.core.roles.FeedForwardBackend;
import io.moemesh.core.wire.ActivationCodec;
import io.moemesh.core.wire.WireDType;
import io.moemesh.proto.common.v1.DType;
import io.moemesh.proto.common.v1.Tensor;
import io.moemesh.proto.router.v1.ForwardRequest;
import io.moemesh.proto.router.v1.ForwardResponse;
import io.moemesh.proto.router.v1.RouterServiceGrpc;

import java.util.concurrent.TimeUnit;

/**
 * The feed-forward half of every layer on a router-service: it gates, dispatches to the expert replicas and
 * gathers (or runs the dense MLP). One long-lived channel; a batch of token rows per layer per call.
 */
public final class RemoteFeedForward implements FeedForwardBackend {
    private final ManagedChannel channel;
    private final RouterServiceGrpc.RouterServiceBlockingStub stub;
    private final long timeoutMillis;
    private final WireDType wire;
    private final boolean traceRouterLogits;
    private final int numExperts;

    /** @param traceRouterLogits ask for the gate logits too (the `forward` command shows them; serving does not) */
    public RemoteFeedForward(String endpoint, int numExperts, long timeoutMillis, WireDType wire, boolean traceRouterLogits) {
        this.channel = ManagedChannelBuilder.forTarget(endpoint).usePlaintext().build();
        this.stub = RouterServiceGrpc.newBlockingStub(channel);
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
        ForwardResponse r = stub.withDeadlineAfter(timeoutMillis, TimeUnit.MILLISECONDS).forward(ForwardRequest.newBuilder()
                .setLayer(layer).setIncludeRouterLogits(withRouterLogits)
                .setHidden(Tensor.newBuilder().setDtype(wire == WireDType.F32 ? DType.F32 : DType.BF16)
                        .addShape(tokens).addShape(hidden)
                        .setData(UnsafeByteOperations.unsafeWrap(ActivationCodec.encode(normedHidden, wire))))
                .build());
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

    private static float[] decode(Tensor t, int rows, int cols) {
        return ActivationCodec.decode(t.getData().asReadOnlyByteBuffer(),
                t.getDtype() == DType.F32 ? WireDType.F32 : WireDType.BF16, rows, cols);
    }

    @Override
    public void close() {
        channel.shutdownNow();
    }
}

package io.moemesh.router;

import com.google.protobuf.UnsafeByteOperations;
import io.moemesh.core.nn.Routing;
import io.moemesh.core.roles.FeedForwardBackend;
import io.moemesh.core.wire.ActivationCodec;
import io.moemesh.core.wire.WireDType;
import io.moemesh.proto.common.v1.DType;
import io.moemesh.proto.common.v1.Tensor;
import io.moemesh.proto.router.v1.ForwardRequest;
import io.moemesh.proto.router.v1.ForwardResponse;
import io.moemesh.proto.router.v1.RouterServiceGrpc;

/** The feed-forward role through the router's Forward rpc: what a gateway does, minus its batching. */
final class RouterFeedForward implements FeedForwardBackend {
    private final RouterServiceGrpc.RouterServiceBlockingStub router;
    private final WireDType wire;
    private final int numExperts;

    RouterFeedForward(RouterServiceGrpc.RouterServiceBlockingStub router, WireDType wire, int numExperts) {
        this.router = router;
        this.wire = wire;
        this.numExperts = numExperts;
    }

    static Tensor tensor(float[] x, WireDType wire, int rows, int cols) {
        return Tensor.newBuilder().setDtype(wire == WireDType.F32 ? DType.F32 : DType.BF16).addShape(rows).addShape(cols)
                .setData(UnsafeByteOperations.unsafeWrap(ActivationCodec.encode(x, wire))).build();
    }

    static float[] floats(Tensor t) {
        return ActivationCodec.decode(t.getData().asReadOnlyByteBuffer(),
                t.getDtype() == DType.F32 ? WireDType.F32 : WireDType.BF16,
                t.getShapeList().stream().mapToLong(Long::longValue).toArray());
    }

    @Override
    public Output forward(int layer, float[] normedHidden, int tokens) {
        int hidden = normedHidden.length / tokens;
        ForwardResponse r = router.forward(ForwardRequest.newBuilder().setLayer(layer)
                .setHidden(tensor(normedHidden, wire, tokens, hidden))
                .setIncludeRouterLogits(true)
                .build());
        Routing routing = null;
        if (r.getTopK() > 0) {
            int[] ids = r.getTopkIdsList().stream().mapToInt(Integer::intValue).toArray();
            float[] weights = new float[r.getTopkWeightsCount()];
            for (int i = 0; i < weights.length; i++) {
                weights[i] = r.getTopkWeights(i);
            }
            routing = new Routing(tokens, r.getTopK(), numExperts, ids, weights,
                    r.hasRouterLogits() ? floats(r.getRouterLogits()) : null);
        }
        return new Output(floats(r.getHidden()), routing);
    }
}

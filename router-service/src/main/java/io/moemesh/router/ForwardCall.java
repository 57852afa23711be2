package io.moemesh.router;

import com.google.protobuf.UnsafeByteOperations;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.moemesh.core.config.Qwen3Config;
import io.moemesh.core.nn.Routing;
import io.moemesh.core.roles.FeedForwardBackend;
import io.moemesh.core.wire.ActivationCodec;
import io.moemesh.core.wire.WireDType;
import io.moemesh.proto.common.v1.DType;
import io.moemesh.proto.common.v1.Tensor;
import io.moemesh.proto.router.v1.ForwardRequest;
import io.moemesh.proto.router.v1.ForwardResponse;

/** One Forward: validate (naming what is wrong), run the layer's feed-forward, pack the answer. */
final class ForwardCall {
    private ForwardCall() {
    }

    static ForwardResponse run(RouterMesh mesh, ForwardRequest request) {
        Qwen3Config c = mesh.config();
        int layer = request.getLayer();
        if (layer >= c.numHiddenLayers()) {
            throw invalid("layer " + layer + " is not a layer of this model (layers 0.." + (c.numHiddenLayers() - 1) + ")");
        }
        Tensor hidden = request.getHidden();
        WireDType dtype = wireDType(hidden.getDtype(), "hidden.dtype");
        WireDType replyType = request.getReplyDtype() == DType.DTYPE_UNSPECIFIED ? dtype
                : wireDType(request.getReplyDtype(), "reply_dtype");
        if (hidden.getShapeCount() != 2 || hidden.getShape(1) != c.hiddenSize() || hidden.getShape(0) <= 0) {
            throw invalid("hidden must have shape [tokens > 0, " + c.hiddenSize() + "], got " + hidden.getShapeList());
        }
        int tokens = Math.toIntExact(hidden.getShape(0));
        float[] x;
        try {
            x = ActivationCodec.decode(hidden.getData().asReadOnlyByteBuffer(), dtype, tokens, c.hiddenSize());
        } catch (IllegalArgumentException e) {
            throw invalid("hidden: " + e.getMessage());
        }
        FeedForwardBackend.Output out = mesh.feedForward().forward(layer, x, tokens);
        ForwardResponse.Builder response = ForwardResponse.newBuilder()
                .setRequestId(request.getRequestId())
                .setHidden(tensor(out.hidden(), replyType, tokens, c.hiddenSize()));
        Routing routing = out.routing();
        if (routing != null) {
            response.setTopK(routing.topK());
            for (int id : routing.expertIds()) {
                response.addTopkIds(id);
            }
            for (float w : routing.weights()) {
                response.addTopkWeights(w);
            }
            if (request.getIncludeRouterLogits() && routing.logits() != null) {
                response.setRouterLogits(tensor(routing.logits(), WireDType.F32, tokens, routing.numExperts()));
            }
        }
        return response.build();
    }

    private static Tensor tensor(float[] values, WireDType dtype, int rows, int cols) {
        return Tensor.newBuilder()
                .setDtype(dtype == WireDType.F32 ? DType.F32 : DType.BF16)
                .addShape(rows).addShape(cols)
                .setData(UnsafeByteOperations.unsafeWrap(ActivationCodec.encode(values, dtype)))
                .build();
    }

    private static WireDType wireDType(DType dtype, String field) {
        return switch (dtype) {
            case F32 -> WireDType.F32;
            case BF16 -> WireDType.BF16;
            default -> throw invalid(field + " must be F32 or BF16, got " + dtype);
        };
    }

    private static StatusRuntimeException invalid(String message) {
        return Status.INVALID_ARGUMENT.withDescription(message).asRuntimeException();
    }
}

package io.moemesh.attention;

import com.google.protobuf.UnsafeByteOperations;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.moemesh.core.config.Qwen3Config;
import io.moemesh.core.roles.LocalAttention;
import io.moemesh.core.wire.ActivationCodec;
import io.moemesh.core.wire.WireDType;
import io.moemesh.proto.attention.v1.AttendRequest;
import io.moemesh.proto.attention.v1.AttendResponse;
import io.moemesh.proto.attention.v1.AttentionService;
import io.moemesh.proto.attention.v1.DescribeRequest;
import io.moemesh.proto.attention.v1.DescribeResponse;
import io.moemesh.proto.attention.v1.ReleaseRequest;
import io.moemesh.proto.attention.v1.ReleaseResponse;
import io.moemesh.proto.common.v1.DType;
import io.moemesh.proto.common.v1.NodeInfo;
import io.moemesh.proto.common.v1.Role;
import io.moemesh.proto.common.v1.Tensor;
import io.quarkus.grpc.GrpcService;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;

import java.util.List;

/** The attention role's gRPC face: owned layers, per-sequence KV caches, and their release. */
@GrpcService
public class AttentionGrpcService implements AttentionService {

    private final DescribeResponse description;
    private final OwnedAttention owned;

    public AttentionGrpcService(AttentionConfig config, OwnedAttention owned) {
        this.owned = owned;
        var response = DescribeResponse.newBuilder()
                .setNode(NodeInfo.newBuilder().setRole(Role.ROLE_ATTENTION).setModelDir(config.modelDir()));
        for (LayerRange range : config.layers().map(LayerRange::parseSpec).orElse(List.of())) {
            response.addLayers(io.moemesh.proto.attention.v1.LayerRange.newBuilder()
                    .setFirstLayer(range.firstLayer())
                    .setLastLayer(range.lastLayer()));
        }
        this.description = response.build();
    }

    @Override
    public Uni<DescribeResponse> describe(DescribeRequest request) {
        return Uni.createFrom().item(description);
    }

    @Override
    @Blocking
    public Uni<AttendResponse> attend(AttendRequest request) {
        try {
            return Uni.createFrom().item(attendOne(request));
        } catch (StatusRuntimeException e) {
            return Uni.createFrom().failure(e);
        }
    }

    @Override
    public Multi<AttendResponse> attendStream(Multi<AttendRequest> requests) {
        return requests.emitOn(Infrastructure.getDefaultWorkerPool()).map(this::attendOne);
    }

    /** Blocking: a release waits for a step of the same sequence in progress to end before its pages go back. */
    @Override
    @Blocking
    public Uni<ReleaseResponse> release(ReleaseRequest request) {
        int released = 0;
        for (long id : request.getSequenceIdsList()) {
            if (owned.attention().releaseIfPresent(id)) {
                released++;
            }
        }
        return Uni.createFrom().item(ReleaseResponse.newBuilder().setReleased(released).build());
    }

    AttendResponse attendOne(AttendRequest request) {
        Qwen3Config c = owned.config();
        LocalAttention attention = owned.attention();
        int layer = request.getLayer();
        if (!attention.owns(layer)) {
            throw invalid("layer " + layer + " is not owned by this attention-service");
        }
        Tensor hidden = request.getHidden();
        WireDType dtype = wireDType(hidden.getDtype(), "hidden.dtype");
        if (hidden.getShapeCount() != 2 || hidden.getShape(1) != c.hiddenSize() || hidden.getShape(0) <= 0) {
            throw invalid("hidden must have shape [tokens > 0, " + c.hiddenSize() + "], got " + hidden.getShapeList());
        }
        int tokens = Math.toIntExact(hidden.getShape(0));
        long sequence = request.getSequenceId();
        // One caller drives a sequence step by step; the check below catches a lost or repeated step.
        synchronized (attention) {
            int cached = attention.cachedTokens(sequence, layer);
            if (request.getPosition() != cached) {
                throw Status.FAILED_PRECONDITION.withDescription("sequence " + sequence + " layer " + layer + ": position "
                        + request.getPosition() + " but the cache holds " + cached + " tokens").asRuntimeException();
            }
            if (cached + tokens > c.maxPositionEmbeddings()) {
                throw invalid("sequence " + sequence + " would exceed the context of " + c.maxPositionEmbeddings() + " tokens");
            }
        }
        float[] x;
        try {
            x = ActivationCodec.decode(hidden.getData().asReadOnlyByteBuffer(), dtype, tokens, c.hiddenSize());
        } catch (IllegalArgumentException e) {
            throw invalid("hidden: " + e.getMessage());
        }
        float[] out = attention.attend(layer, sequence, x, tokens);
        WireDType replyType = request.getReplyDtype() == DType.DTYPE_UNSPECIFIED ? dtype
                : wireDType(request.getReplyDtype(), "reply_dtype");
        return AttendResponse.newBuilder()
                .setRequestId(request.getRequestId())
                .setCachedTokens(attention.cachedTokens(sequence, layer))
                .setOutput(Tensor.newBuilder()
                        .setDtype(replyType == WireDType.F32 ? DType.F32 : DType.BF16)
                        .addShape(tokens).addShape(c.hiddenSize())
                        .setData(UnsafeByteOperations.unsafeWrap(ActivationCodec.encode(out, replyType))))
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

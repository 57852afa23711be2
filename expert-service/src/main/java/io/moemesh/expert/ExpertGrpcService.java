package io.moemesh.expert;

import com.google.protobuf.UnsafeByteOperations;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.moemesh.core.config.Qwen3Config;
import io.moemesh.core.placement.HostedRange;
import io.moemesh.core.roles.ExpertBatch;
import io.moemesh.core.wire.ActivationCodec;
import io.moemesh.core.wire.WireDType;
import io.moemesh.proto.common.v1.DType;
import io.moemesh.proto.common.v1.NodeInfo;
import io.moemesh.proto.common.v1.Role;
import io.moemesh.proto.common.v1.Tensor;
import io.moemesh.proto.expert.v1.ComputeRequest;
import io.moemesh.proto.expert.v1.ComputeResponse;
import io.moemesh.proto.expert.v1.DescribeRequest;
import io.moemesh.proto.expert.v1.DescribeResponse;
import io.moemesh.proto.expert.v1.ExpertService;
import io.quarkus.grpc.GrpcService;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;

/** The expert role's gRPC face: what it hosts, and batched expert FFNs. */
@GrpcService
public class ExpertGrpcService implements ExpertService {

    private final DescribeResponse description;
    private final HostedExperts experts;
    private final ExpertMetrics metrics;

    public ExpertGrpcService(ExpertConfig config, HostedExperts experts, ExpertMetrics metrics) {
        this.experts = experts;
        this.metrics = metrics;
        var response = DescribeResponse.newBuilder()
                .setNode(NodeInfo.newBuilder().setRole(Role.ROLE_EXPERT).setModelDir(config.modelDir()));
        for (HostedRange range : HostedRange.parseSpec(config.hosted())) {
            response.addHosted(io.moemesh.proto.expert.v1.ExpertRange.newBuilder()
                    .setFirstLayer(range.firstLayer())
                    .setLastLayer(range.lastLayer())
                    .setFirstExpert(range.firstExpert())
                    .setLastExpert(range.lastExpert()));
        }
        this.description = response.build();
    }

    @Override
    public Uni<DescribeResponse> describe(DescribeRequest request) {
        return Uni.createFrom().item(description);
    }

    @Override
    @Blocking
    public Uni<ComputeResponse> compute(ComputeRequest request) {
        try {
            return Uni.createFrom().item(computeOne(request));
        } catch (StatusRuntimeException e) {
            return Uni.createFrom().failure(e);
        }
    }

    @Override
    public Multi<ComputeResponse> computeStream(Multi<ComputeRequest> requests) {
        // In order, one at a time per stream; the kernels already use every core for a batch.
        return requests.emitOn(Infrastructure.getDefaultWorkerPool()).map(this::computeOne);
    }

    /** Validates the batch (naming what is wrong), computes it, and packs the partial sums. */
    ComputeResponse computeOne(ComputeRequest request) {
        Qwen3Config c = experts.config();
        int layer = request.getLayer();
        if (layer >= c.numHiddenLayers() || !c.isMoeLayer(layer)) {
            throw invalid("layer " + layer + " is not a MoE layer of this model (" + c.numHiddenLayers() + " layers)");
        }
        Tensor hidden = request.getHidden();
        WireDType dtype = wireDType(hidden.getDtype(), "hidden.dtype");
        if (hidden.getShapeCount() != 2 || hidden.getShape(1) != c.hiddenSize()) {
            throw invalid("hidden must have shape [tokens, " + c.hiddenSize() + "], got " + hidden.getShapeList());
        }
        int tokens = Math.toIntExact(hidden.getShape(0));
        int slots = request.getSlots();
        if (slots <= 0 || slots > c.numExperts()) {
            throw invalid("slots must be in 1.." + c.numExperts() + ", got " + slots);
        }
        if (request.getExpertIdsCount() != tokens * slots || request.getWeightsCount() != tokens * slots) {
            throw invalid("expert_ids and weights need tokens × slots = " + tokens * slots + " entries, got "
                    + request.getExpertIdsCount() + " and " + request.getWeightsCount());
        }
        int[] ids = new int[tokens * slots];
        float[] weights = new float[tokens * slots];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = request.getExpertIds(i);
            weights[i] = request.getWeights(i);
            if (ids[i] < -1 || ids[i] >= c.numExperts()) {
                throw invalid("expert id " + ids[i] + " outside 0.." + (c.numExperts() - 1));
            }
            if (ids[i] >= 0 && !experts.hosts(layer, ids[i])) {
                throw Status.FAILED_PRECONDITION
                        .withDescription("expert " + ids[i] + " of layer " + layer + " is not hosted by this replica")
                        .asRuntimeException();
            }
        }
        float[] x;
        try {
            x = ActivationCodec.decode(hidden.getData().asReadOnlyByteBuffer(), dtype, tokens, c.hiddenSize());
        } catch (IllegalArgumentException e) {
            throw invalid("hidden: " + e.getMessage());
        }
        float[] sums = metrics.computed(tokens, ids,
                () -> experts.compute(new ExpertBatch(layer, tokens, c.hiddenSize(), x, slots, ids, weights)));
        WireDType replyType = request.getReplyDtype() == DType.DTYPE_UNSPECIFIED ? dtype
                : wireDType(request.getReplyDtype(), "reply_dtype");
        return ComputeResponse.newBuilder()
                .setRequestId(request.getRequestId())
                .setPartialSums(Tensor.newBuilder()
                        .setDtype(replyType == WireDType.F32 ? DType.F32 : DType.BF16)
                        .addShape(tokens).addShape(c.hiddenSize())
                        .setData(UnsafeByteOperations.unsafeWrap(ActivationCodec.encode(sums, replyType))))
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

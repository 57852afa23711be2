package io.moemesh.attention;

import io.moemesh.proto.attention.v1.AttentionService;
import io.moemesh.proto.attention.v1.DescribeRequest;
import io.moemesh.proto.attention.v1.DescribeResponse;
import io.moemesh.proto.common.v1.NodeInfo;
import io.moemesh.proto.common.v1.Role;
import io.quarkus.grpc.GrpcService;
import io.smallrye.mutiny.Uni;
import java.util.List;

/** The attention role's gRPC face. For now it only describes itself, straight from configuration. */
@GrpcService
public class AttentionGrpcService implements AttentionService {

    private final DescribeResponse description;

    public AttentionGrpcService(AttentionConfig config) {
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
}

package io.moemesh.gateway;

import io.moemesh.proto.common.v1.NodeInfo;
import io.moemesh.proto.common.v1.Role;
import io.moemesh.proto.gateway.v1.DescribeRequest;
import io.moemesh.proto.gateway.v1.DescribeResponse;
import io.moemesh.proto.gateway.v1.GatewayService;
import io.quarkus.grpc.GrpcService;
import io.smallrye.mutiny.Uni;

/** The gateway's gRPC API. For now it only describes itself, straight from configuration. */
@GrpcService
public class GatewayGrpcService implements GatewayService {

    private final DescribeResponse description;

    public GatewayGrpcService(GatewayConfig config) {
        this.description = DescribeResponse.newBuilder()
                .setNode(NodeInfo.newBuilder().setRole(Role.ROLE_GATEWAY).setModelDir(config.modelDir()))
                .setModelId(config.modelId())
                .build();
    }

    @Override
    public Uni<DescribeResponse> describe(DescribeRequest request) {
        return Uni.createFrom().item(description);
    }
}

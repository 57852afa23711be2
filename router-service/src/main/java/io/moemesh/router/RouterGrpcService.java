package io.moemesh.router;

import io.moemesh.proto.common.v1.NodeInfo;
import io.moemesh.proto.common.v1.Role;
import io.moemesh.proto.router.v1.DescribeRequest;
import io.moemesh.proto.router.v1.DescribeResponse;
import io.moemesh.proto.router.v1.RouterService;
import io.quarkus.grpc.GrpcService;
import io.smallrye.mutiny.Uni;
import java.util.List;

/** The router role's gRPC face. For now it only describes itself, straight from configuration. */
@GrpcService
public class RouterGrpcService implements RouterService {

    private final DescribeResponse description;

    public RouterGrpcService(RouterConfig config) {
        this.description = DescribeResponse.newBuilder()
                .setNode(NodeInfo.newBuilder().setRole(Role.ROLE_ROUTER).setModelDir(config.modelDir()))
                .addAllExpertEndpoints(config.expertEndpoints().orElse(List.of()))
                .build();
    }

    @Override
    public Uni<DescribeResponse> describe(DescribeRequest request) {
        return Uni.createFrom().item(description);
    }
}

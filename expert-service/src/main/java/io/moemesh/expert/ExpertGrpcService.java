package io.moemesh.expert;

import io.moemesh.proto.common.v1.NodeInfo;
import io.moemesh.proto.common.v1.Role;
import io.moemesh.proto.expert.v1.DescribeRequest;
import io.moemesh.proto.expert.v1.DescribeResponse;
import io.moemesh.proto.expert.v1.ExpertService;
import io.quarkus.grpc.GrpcService;
import io.smallrye.mutiny.Uni;

/** The expert role's gRPC face. For now it only describes itself, straight from configuration. */
@GrpcService
public class ExpertGrpcService implements ExpertService {

    private final DescribeResponse description;

    public ExpertGrpcService(ExpertConfig config) {
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
}

package io.moemesh.router;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.moemesh.proto.common.v1.NodeInfo;
import io.moemesh.proto.common.v1.Role;
import io.moemesh.proto.router.v1.DescribeRequest;
import io.moemesh.proto.router.v1.DescribeResponse;
import io.moemesh.proto.router.v1.ForwardRequest;
import io.moemesh.proto.router.v1.ForwardResponse;
import io.moemesh.proto.router.v1.RouterService;
import io.quarkus.grpc.GrpcService;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.moemesh.router.dispatch.ExpertReplica;
import org.jboss.logging.Logger;

/** The router role's gRPC face: its description, and the feed-forward half of a layer for a batch of rows. */
@GrpcService
public class RouterGrpcService implements RouterService {
    private static final Logger LOG = Logger.getLogger(RouterGrpcService.class);

    private final DescribeResponse description;
    private final RouterMesh mesh;

    public RouterGrpcService(RouterConfig config, RouterMesh mesh) {
        this.mesh = mesh;
        this.description = DescribeResponse.newBuilder()
                .setNode(NodeInfo.newBuilder().setRole(Role.ROLE_ROUTER).setModelDir(config.modelDir()))
                .build();
    }

    @Override
    public Uni<DescribeResponse> describe(DescribeRequest request) {
        return Uni.createFrom().item(description.toBuilder()
                .addAllExpertEndpoints(mesh.placement().replicas().stream().map(ExpertReplica::endpoint).toList())
                .setExpertWire(mesh.wireCounters().snapshot()).build());
    }

    @Override
    @Blocking
    public Uni<ForwardResponse> forward(ForwardRequest request) {
        try {
            return Uni.createFrom().item(forwardOne(request));
        } catch (StatusRuntimeException e) {
            return Uni.createFrom().failure(e);
        }
    }

    @Override
    public Multi<ForwardResponse> forwardStream(Multi<ForwardRequest> requests) {
        // In order, one at a time per stream (a stream is one step batch walking the layers); dispatch to the
        // replicas blocks, so off the event loop.
        return requests.emitOn(Infrastructure.getDefaultWorkerPool()).map(this::forwardOne);
    }

    private ForwardResponse forwardOne(ForwardRequest request) {
        try {
            return ForwardCall.run(mesh, request);
        } catch (StatusRuntimeException e) {
            throw e;
        } catch (RuntimeException e) {
            // A bug, not bad input: say so with the layer, and keep serving.
            LOG.errorf(e, "Forward of layer %d failed", request.getLayer());
            throw Status.INTERNAL.withDescription("layer " + request.getLayer() + ": " + e)
                    .withCause(e).asRuntimeException();
        }
    }
}

package io.moemesh.router;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import grpc.health.v1.HealthGrpc;
import grpc.health.v1.HealthOuterClass.HealthCheckRequest;
import grpc.health.v1.HealthOuterClass.HealthCheckResponse.ServingStatus;
import io.grpc.reflection.v1.ServerReflection;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServiceResponse;
import io.moemesh.proto.common.v1.Role;
import io.moemesh.proto.router.v1.DescribeRequest;
import io.moemesh.proto.router.v1.DescribeResponse;
import io.moemesh.proto.router.v1.RouterService;
import io.quarkus.grpc.GrpcClient;
import io.moemesh.core.ReferenceFixture;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.mutiny.Multi;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Over the real HTTP port, which also carries gRPC (quarkus.grpc.server.use-separate-server=false). */
@QuarkusTest
@WithTestResource(value = ExpertMeshResource.class, scope = TestResourceScope.MATCHING_RESOURCES)
class RouterGrpcServiceTest {

    @GrpcClient
    RouterService router;

    @GrpcClient
    HealthGrpc.HealthBlockingStub health;

    @GrpcClient
    ServerReflection reflection;

    @Test
    void readinessIsUpOnceEveryExpertHasAReplica() {
        given().when().get("/q/health/ready").then().statusCode(200).body("status", is("UP"))
                .body("checks.find { it.name == 'expert placement' }.data.replicas", is(3));
    }

    @Test
    void describeListsTheConfiguredExpertEndpoints() {
        DescribeResponse response =
                router.describe(DescribeRequest.getDefaultInstance()).await().atMost(Duration.ofSeconds(10));

        assertEquals(Role.ROLE_ROUTER, response.getNode().getRole());
        assertEquals(ReferenceFixture.modelDir(ExpertMeshResource.MODEL).toString(), response.getNode().getModelDir());
        assertEquals(List.of(ExpertFleet.endpoints().split(",")), response.getExpertEndpointsList());
    }

    @Test
    void grpcHealthServiceAnswers() {
        var status = health.check(
                HealthCheckRequest.newBuilder().setService("moemesh.router.v1.RouterService").build());
        assertEquals(ServingStatus.SERVING, status.getStatus());
    }

    @Test
    void reflectionListsTheService() {
        var reply = reflection
                .serverReflectionInfo(Multi.createFrom()
                        .item(ServerReflectionRequest.newBuilder().setListServices("").build()))
                .toUni()
                .await()
                .atMost(Duration.ofSeconds(10));
        List<String> services = reply.getListServicesResponse().getServiceList().stream()
                .map(ServiceResponse::getName)
                .toList();
        assertTrue(services.contains("moemesh.router.v1.RouterService"), services::toString);
    }
}

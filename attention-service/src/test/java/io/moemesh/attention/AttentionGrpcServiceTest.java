package io.moemesh.attention;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import grpc.health.v1.HealthGrpc;
import grpc.health.v1.HealthOuterClass.HealthCheckRequest;
import grpc.health.v1.HealthOuterClass.HealthCheckResponse.ServingStatus;
import io.moemesh.proto.attention.v1.AttentionService;
import io.moemesh.proto.attention.v1.DescribeRequest;
import io.moemesh.proto.attention.v1.DescribeResponse;
import io.moemesh.proto.attention.v1.LayerRange;
import io.grpc.reflection.v1.ServerReflection;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServiceResponse;
import io.moemesh.proto.common.v1.Role;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.mutiny.Multi;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Over the real HTTP port, which also carries gRPC (quarkus.grpc.server.use-separate-server=false). */
@QuarkusTest
@io.quarkus.test.common.WithTestResource(FixtureModel.class)
class AttentionGrpcServiceTest {

    @GrpcClient
    AttentionService attention;

    @GrpcClient
    HealthGrpc.HealthBlockingStub health;

    @GrpcClient
    ServerReflection reflection;

    @Test
    void readinessIsUp() {
        given().when().get("/q/health/ready").then().statusCode(200).body("status", is("UP"));
    }

    @Test
    void describeEchoesTheConfiguredLayers() {
        DescribeResponse response =
                attention.describe(DescribeRequest.getDefaultInstance()).await().atMost(Duration.ofSeconds(10));

        assertEquals(Role.ROLE_ATTENTION, response.getNode().getRole());
        assertEquals(FixtureModel.dir().toString(), response.getNode().getModelDir());
        assertEquals(List.of(layers(0, 1), layers(3, 3)), response.getLayersList()); // %test...layers=0-1,3
    }

    @Test
    void grpcHealthServiceAnswers() {
        var status = health.check(
                HealthCheckRequest.newBuilder().setService("moemesh.attention.v1.AttentionService").build());
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
        assertTrue(services.contains("moemesh.attention.v1.AttentionService"), services::toString);
    }

    private static LayerRange layers(int first, int last) {
        return LayerRange.newBuilder().setFirstLayer(first).setLastLayer(last).build();
    }
}

package io.moemesh.gateway;

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
import io.moemesh.proto.gateway.v1.DescribeRequest;
import io.moemesh.proto.gateway.v1.DescribeResponse;
import io.moemesh.proto.gateway.v1.GatewayService;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.mutiny.Multi;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Over the real HTTP port, which also carries gRPC (quarkus.grpc.server.use-separate-server=false). */
@QuarkusTest
@io.quarkus.test.common.WithTestResource(io.moemesh.gateway.FixtureModel.class)
class GatewayGrpcServiceTest {
    @org.junit.jupiter.api.BeforeEach
    void modelLoaded() {
        ModelLoaded.await();
    }


    @GrpcClient
    GatewayService gateway;

    @GrpcClient
    HealthGrpc.HealthBlockingStub health;

    @GrpcClient
    ServerReflection reflection;

    @Test
    void readinessIsUp() {
        given().when().get("/q/health/ready").then().statusCode(200).body("status", is("UP"));
    }

    @Test
    void describeEchoesTheConfiguredModel() {
        DescribeResponse response =
                gateway.describe(DescribeRequest.getDefaultInstance()).await().atMost(Duration.ofSeconds(10));

        assertEquals(Role.ROLE_GATEWAY, response.getNode().getRole());
        assertEquals(io.moemesh.gateway.FixtureModel.dir().toString(), response.getNode().getModelDir());
        assertEquals("test-qwen3-moe", response.getModelId());
    }

    @Test
    void grpcHealthServiceAnswers() {
        var status = health.check(
                HealthCheckRequest.newBuilder().setService("moemesh.gateway.v1.GatewayService").build());
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
        assertTrue(services.contains("moemesh.gateway.v1.GatewayService"), services::toString);
    }
}

package io.moemesh.expert;

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
import io.moemesh.proto.expert.v1.DescribeRequest;
import io.moemesh.proto.expert.v1.DescribeResponse;
import io.moemesh.proto.expert.v1.ExpertRange;
import io.moemesh.proto.expert.v1.ExpertService;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.mutiny.Multi;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Over the real HTTP port, which also carries gRPC (quarkus.grpc.server.use-separate-server=false). */
@QuarkusTest
@io.quarkus.test.common.WithTestResource(FixtureModel.class)
class ExpertGrpcServiceTest {

    @GrpcClient
    ExpertService expert;

    @GrpcClient
    HealthGrpc.HealthBlockingStub health;

    @GrpcClient
    ServerReflection reflection;

    @Test
    void readinessIsUp() {
        given().when().get("/q/health/ready").then().statusCode(200).body("status", is("UP"));
    }

    @Test
    void describeEchoesTheConfiguredExperts() {
        DescribeResponse response =
                expert.describe(DescribeRequest.getDefaultInstance()).await().atMost(Duration.ofSeconds(10));

        assertEquals(Role.ROLE_EXPERT, response.getNode().getRole());
        assertEquals(FixtureModel.dir().toString(), response.getNode().getModelDir());
        assertEquals(
                List.of(range(0, 2, 0, 15), range(3, 3, 0, 14)), // %test.moemesh.expert.hosted=0-2:0-15;3:0-14
                response.getHostedList());
    }

    @Test
    void grpcHealthServiceAnswers() {
        var status = health.check(
                HealthCheckRequest.newBuilder().setService("moemesh.expert.v1.ExpertService").build());
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
        assertTrue(services.contains("moemesh.expert.v1.ExpertService"), services::toString);
    }

    private static ExpertRange range(int firstLayer, int lastLayer, int firstExpert, int lastExpert) {
        return ExpertRange.newBuilder()
                .setFirstLayer(firstLayer)
                .setLastLayer(lastLayer)
                .setFirstExpert(firstExpert)
                .setLastExpert(lastExpert)
                .build();
    }
}

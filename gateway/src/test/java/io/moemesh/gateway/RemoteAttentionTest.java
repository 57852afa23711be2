package io.moemesh.gateway;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.moemesh.core.ReferenceFixture;
import io.moemesh.proto.gateway.v1.DescribeRequest;
import io.moemesh.proto.gateway.v1.GatewayServiceGrpc;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import static org.junit.jupiter.api.Assertions.*;

/** The gateway with attention on a separate attention-service process: placement is configuration only. */
@QuarkusTest
@WithTestResource(RemoteAttentionResource.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RemoteAttentionTest {
    @org.junit.jupiter.api.BeforeEach
    void modelLoaded() {
        ModelLoaded.await();
    }

    @GrpcClient("gateway")
    GatewayServiceGrpc.GatewayServiceBlockingStub gateway;

    @Test
    @Order(1)
    void greedyGenerationThroughTheAttentionServiceMatchesTheReference() {
        ReferenceFixture ref = ReferenceFixture.load(FixtureModel.MODEL);
        int[] expected = ref.i("generated_ids");
        int[] prompt = ref.i("input_ids");
        assertArrayEquals(expected, GenerateTest.greedy(gateway, prompt, expected.length - prompt.length));
        // twice: the first sequence's cache was released, the second starts clean
        assertArrayEquals(expected, GenerateTest.greedy(gateway, prompt, expected.length - prompt.length));
    }

    @Test
    @Order(2)
    void aLostAttentionServiceFailsTheRequestNotTheGateway() {
        RemoteAttentionResource.attention.kill();
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                () -> GenerateTest.greedy(gateway, new int[]{1, 2, 3}, 2));
        assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), e.getStatus().toString());
        assertEquals("test-qwen3-moe", gateway.describe(DescribeRequest.getDefaultInstance()).getModelId(),
                "the gateway is still serving");
    }
}

package io.moemesh.gateway;

import io.moemesh.core.ReferenceFixture;
import io.moemesh.proto.gateway.v1.GatewayServiceGrpc;
import io.moemesh.proto.gateway.v1.GenerateRequest;
import io.moemesh.proto.gateway.v1.GenerateResponse;
import io.moemesh.proto.gateway.v1.Sampling;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Gateway → attention-service + router → 3 expert-services, all real processes: the same tokens as one JVM. */
@QuarkusTest
@WithTestResource(FullMeshResource.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FullMeshTest {
    @GrpcClient("gateway")
    GatewayServiceGrpc.GatewayServiceBlockingStub gateway;

    @Test
    @Order(1)
    void greedyGenerationThroughTheMeshMatchesTheReference() {
        ReferenceFixture ref = ReferenceFixture.load(FixtureModel.MODEL);
        int[] expected = ref.i("generated_ids");
        int[] prompt = ref.i("input_ids");
        assertArrayEquals(expected, GenerateTest.greedy(gateway, prompt, expected.length - prompt.length));
    }

    private List<Integer> generate64(Runnable afterFifthToken) {
        GenerateRequest.Builder r = GenerateRequest.newBuilder().setMaxNewTokens(64).setIgnoreEos(true)
                .setSampling(Sampling.newBuilder().setTemperature(0));
        for (int id : ReferenceFixture.load(FixtureModel.MODEL).i("input_ids")) {
            r.addPromptIds(id);
        }
        List<Integer> ids = new ArrayList<>();
        for (Iterator<GenerateResponse> it = gateway.generate(r.build()); it.hasNext(); ) {
            GenerateResponse token = it.next();
            if (token.getTokenId() >= 0) {
                ids.add(token.getTokenId());
            }
            if (ids.size() == 5) {
                afterFifthToken.run();
            }
        }
        return ids;
    }

    @Test
    @Order(2)
    void losingAnExpertReplicaMidGenerationChangesNoToken() {
        List<Integer> undisturbed = generate64(() -> { });
        assertEquals(64, undisturbed.size());
        List<Integer> withKill = generate64(() -> FullMeshResource.EXPERTS.get(0).kill());
        assertEquals(undisturbed, withKill, "the router fails over to the other replica of each expert");
    }
}

package io.moemesh.gateway;

import io.moemesh.core.ReferenceFixture;
import io.moemesh.proto.gateway.v1.GatewayServiceGrpc;
import io.moemesh.proto.gateway.v1.GenerateRequest;
import io.moemesh.proto.gateway.v1.GenerateResponse;
import io.moemesh.proto.gateway.v1.Sampling;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Streaming generation over the gateway's gRPC API, every role in the gateway's JVM. */
@QuarkusTest
@WithTestResource(FixtureModel.class)
class GenerateTest {
    @org.junit.jupiter.api.BeforeEach
    void modelLoaded() {
        ModelLoaded.await();
    }

    @GrpcClient("gateway")
    GatewayServiceGrpc.GatewayServiceBlockingStub gateway;

    static int[] greedy(GatewayServiceGrpc.GatewayServiceBlockingStub gateway, int[] prompt, int newTokens) {
        GenerateRequest.Builder r = GenerateRequest.newBuilder().setMaxNewTokens(newTokens)
                .setSampling(Sampling.newBuilder().setTemperature(0));
        Arrays.stream(prompt).forEach(r::addPromptIds);
        List<Integer> ids = new ArrayList<>();
        String finish = "";
        for (Iterator<GenerateResponse> it = gateway.generate(r.build()); it.hasNext(); ) {
            GenerateResponse token = it.next();
            if (token.getFinishReason().isEmpty() || token.getTokenId() >= 0) {
                ids.add(token.getTokenId());
            }
            finish = token.getFinishReason();
        }
        assertEquals("length", finish);
        int[] all = Arrays.copyOf(prompt, prompt.length + ids.size());
        for (int i = 0; i < ids.size(); i++) {
            all[prompt.length + i] = ids.get(i);
        }
        return all;
    }

    @Test
    void greedyGenerationMatchesTheReference() {
        ReferenceFixture ref = ReferenceFixture.load(FixtureModel.MODEL);
        int[] expected = ref.i("generated_ids");
        int[] prompt = ref.i("input_ids");
        assertArrayEquals(expected, greedy(gateway, prompt, expected.length - prompt.length));
    }

    @Test
    void badRequestsGetInvalidArgument() {
        var e = assertThrows(io.grpc.StatusRuntimeException.class, () -> gateway.generate(GenerateRequest.newBuilder()
                .addPromptIds(5000).setMaxNewTokens(2).build()).hasNext());
        assertEquals(io.grpc.Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().contains("token id 5000"), e.getStatus().getDescription());
        e = assertThrows(io.grpc.StatusRuntimeException.class, () -> gateway.generate(GenerateRequest.newBuilder()
                .addPromptIds(1).setMaxNewTokens(2).setSampling(Sampling.newBuilder().setTopP(3)).build()).hasNext());
        assertEquals(io.grpc.Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().contains("top_p"), e.getStatus().getDescription());
    }
}

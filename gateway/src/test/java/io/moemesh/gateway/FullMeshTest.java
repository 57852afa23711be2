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

import io.moemesh.proto.gateway.v1.MeshStatsRequest;
import io.moemesh.proto.gateway.v1.MeshStatsResponse;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.Iterator;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Gateway → attention-service + router → 3 expert-services, all real processes: the same tokens as one JVM. */
@QuarkusTest
@WithTestResource(FullMeshResource.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FullMeshTest {
    @org.junit.jupiter.api.BeforeEach
    void modelLoaded() {
        ModelLoaded.await();
    }

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

    private List<Integer> greedyIgnoringEos(int[] prompt, int newTokens) {
        GenerateRequest.Builder r = GenerateRequest.newBuilder().setMaxNewTokens(newTokens).setIgnoreEos(true)
                .setSampling(Sampling.newBuilder().setTemperature(0));
        Arrays.stream(prompt).forEach(r::addPromptIds);
        List<Integer> ids = new ArrayList<>();
        gateway.generate(r.build()).forEachRemaining(token -> {
            if (token.getTokenId() >= 0) {
                ids.add(token.getTokenId());
            }
        });
        return ids;
    }

    /**
     * Six clients at once share the gateway's steps: each gets exactly its solo tokens, and every step costs one
     * round trip per layer to the router and one (pipelined) to the attention-service, whatever the batch.
     */
    @Test
    @Order(2)
    void concurrentGenerationsShareOneRoundTripPerLayerPerStep() throws Exception {
        int layers = io.moemesh.core.config.Qwen3Config.load(FixtureModel.dir().resolve("config.json")).numHiddenLayers();
        int newTokens = 12;
        List<int[]> prompts = new ArrayList<>();
        List<List<Integer>> solo = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            int[] prompt = new int[1 + 3 * i];
            for (int j = 0; j < prompt.length; j++) {
                prompt[j] = 100 + 37 * i + 11 * j;
            }
            prompts.add(prompt);
            solo.add(greedyIgnoringEos(prompt, newTokens));
        }
        MeshStatsResponse before = gateway.meshStats(MeshStatsRequest.newBuilder().setReset(true).build());
        ExecutorService clients = Executors.newFixedThreadPool(prompts.size());
        try {
            List<Future<List<Integer>>> together = new ArrayList<>();
            for (int[] prompt : prompts) {
                together.add(clients.submit(() -> greedyIgnoringEos(prompt, newTokens)));
            }
            for (int i = 0; i < prompts.size(); i++) {
                assertEquals(solo.get(i), together.get(i).get(60, TimeUnit.SECONDS), "client " + i);
            }
        } finally {
            clients.shutdownNow();
        }
        MeshStatsResponse after = gateway.meshStats(MeshStatsRequest.getDefaultInstance());
        long steps = after.getSteps() - before.getSteps();
        assertTrue(steps < prompts.size() * newTokens / 2, "6 × 12 tokens in " + steps + " steps: not batched");
        assertEquals(steps * layers, after.getRouter().getExchanges(), "one router round trip per layer per step");
        assertEquals(steps * layers, after.getAttention().getExchanges(), "one attention round trip per layer per step");
        long rows = prompts.stream().mapToLong(p -> p.length + newTokens - 1).sum();
        assertEquals(rows * layers, after.getRouter().getRows());
        assertTrue(after.getRouter().getP99Micros() >= after.getRouter().getP50Micros());
        assertTrue(after.getRouter().getP50Micros() > 0);
        long expertBytes = after.getExperts().getBytesSent() - before.getExperts().getBytesSent();
        long minimum = after.getExperts().getMinimumBytes() - before.getExperts().getMinimumBytes();
        assertTrue(minimum > 0 && expertBytes > minimum / 2, expertBytes + " bytes sent, minimum both ways " + minimum);
    }

    @Test
    @Order(3)
    void losingAnExpertReplicaMidGenerationChangesNoToken() {
        List<Integer> undisturbed = generate64(() -> { });
        assertEquals(64, undisturbed.size());
        List<Integer> withKill = generate64(() -> FullMeshResource.EXPERTS.get(0).kill());
        assertEquals(undisturbed, withKill, "the router fails over to the other replica of each expert");
    }
}

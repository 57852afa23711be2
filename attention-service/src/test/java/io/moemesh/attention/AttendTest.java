package io.moemesh.attention;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.moemesh.core.ReferenceFixture;
import io.moemesh.core.kernel.MatMul;
import io.moemesh.core.nn.Qwen3Model;
import io.moemesh.core.roles.AttentionBackend;
import io.moemesh.core.roles.LocalAttention;
import io.moemesh.core.roles.LocalExperts;
import io.moemesh.core.roles.LocalFeedForward;
import io.moemesh.core.sampling.Sampler;
import io.moemesh.core.weights.Checkpoint;
import io.moemesh.core.weights.LoadMode;
import io.moemesh.core.wire.ActivationCodec;
import io.moemesh.core.wire.WireDType;
import io.moemesh.proto.attention.v1.AttendRequest;
import io.moemesh.proto.attention.v1.AttendResponse;
import io.moemesh.proto.attention.v1.AttentionServiceGrpc;
import io.moemesh.proto.attention.v1.ReleaseRequest;
import io.moemesh.proto.common.v1.DType;
import io.moemesh.proto.common.v1.Tensor;
import io.quarkus.grpc.GrpcClient;
import io.moemesh.core.PrometheusText;
import io.moemesh.core.nn.KvCache;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.*;

/** Attention layers computed by the attention-service, its KV caches held there, over real gRPC. */
@QuarkusTest
@WithTestResource(FixtureModel.class)
class AttendTest {
    private static final AtomicLong SEQUENCES = new AtomicLong(1000);

    @GrpcClient("attention")
    AttentionServiceGrpc.AttentionServiceBlockingStub attention;

    private static Tensor tensor(float[] x, int tokens, int hidden) {
        return Tensor.newBuilder().setDtype(DType.F32).addShape(tokens).addShape(hidden)
                .setData(ByteString.copyFrom(ActivationCodec.encode(x, WireDType.F32))).build();
    }

    /** Layers 0, 1, 3 over gRPC (the service owns those: %test layers=0-1,3), layer 2 in-process. */
    private AttentionBackend split(Checkpoint ck) {
        LocalAttention layer2 = new LocalAttention(ck, layer -> layer == 2, MatMul.vector());
        return new AttentionBackend() {
            @Override
            public float[] attend(int layer, long sequenceId, float[] x, int tokens) {
                if (layer == 2) {
                    return layer2.attend(layer, sequenceId, x, tokens);
                }
                int hidden = x.length / tokens;
                int position = layer2.cachedTokens(sequenceId, 2) - (layer > 2 ? tokens : 0);
                AttendResponse r = attention.attend(AttendRequest.newBuilder().setSequenceId(sequenceId).setLayer(layer)
                        .setPosition(position).setHidden(tensor(x, tokens, hidden)).build());
                assertEquals(position + tokens, r.getCachedTokens());
                return ActivationCodec.decode(r.getOutput().getData().asReadOnlyByteBuffer(), WireDType.F32, tokens, hidden);
            }

            @Override
            public int cachedTokens(long sequenceId) {
                return layer2.cachedTokens(sequenceId);
            }

            @Override
            public void release(long sequenceId) {
                layer2.release(sequenceId);
                attention.release(ReleaseRequest.newBuilder().addSequenceIds(sequenceId).build());
            }
        };
    }

    @Test
    void greedyDecodeWithTheKvCacheOnTheServiceMatchesTheReference() {
        ReferenceFixture ref = ReferenceFixture.load(FixtureModel.MODEL);
        try (Checkpoint ck = Checkpoint.open(ref.dir(), LoadMode.MEMORY)) {
            Qwen3Model model = Qwen3Model.load(ck, split(ck),
                    new LocalFeedForward(ck, new LocalExperts(ck, (l, e) -> true, MatMul.vector()), MatMul.vector()),
                    MatMul.vector());
            long sequence = SEQUENCES.incrementAndGet();
            int[] prompt = ref.i("input_ids");
            int[] expected = ref.i("generated_ids");
            float[] all = model.forward(sequence, prompt, true, null);
            assertTrue(ReferenceFixture.relativeError(all, ref.f("logits")) < 1e-5);
            float[] logits = Arrays.copyOfRange(all, all.length - ck.config().vocabSize(), all.length);
            int[] ids = Arrays.copyOf(prompt, expected.length);
            for (int pos = prompt.length; pos < expected.length; pos++) {
                ids[pos] = Sampler.argmax(logits);
                logits = model.forward(sequence, new int[]{ids[pos]}, false, null);
            }
            assertArrayEquals(expected, ids);
            model.release(sequence);
        }
    }

    private static String metrics() {
        return io.restassured.RestAssured.given().get("/q/metrics").then().statusCode(200).extract().asString();
    }

    private AttendRequest.Builder request(long sequence, int position) {
        return AttendRequest.newBuilder().setSequenceId(sequence).setLayer(0).setPosition(position)
                .setHidden(tensor(new float[2 * 64], 2, 64));
    }

    private StatusRuntimeException fails(AttendRequest request, String expectedInMessage) {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> attention.attend(request));
        assertTrue(e.getStatus().getDescription().contains(expectedInMessage),
                "'" + e.getStatus().getDescription() + "' should mention '" + expectedInMessage + "'");
        return e;
    }

    @Test
    void positionsGuardTheCacheAndReleaseFreesIt() {
        long sequence = SEQUENCES.incrementAndGet();
        assertEquals(2, attention.attend(request(sequence, 0).build()).getCachedTokens());
        StatusRuntimeException repeated = fails(request(sequence, 0).build(), "position 0 but the cache holds 2 tokens");
        assertEquals(Status.Code.FAILED_PRECONDITION, repeated.getStatus().getCode());
        assertEquals(4, attention.attend(request(sequence, 2).build()).getCachedTokens());
        long page = 4L * KvCache.PAGE * 2 * 32;   // positions × 2 kv heads of 32
        String held = metrics();
        assertEquals(1, PrometheusText.sum(held, "moemesh_attention_cached_sequences"));
        assertEquals(2 * page, PrometheusText.sum(held, "moemesh_attention_kv_cache_used_bytes"), "a page of keys, one of values");
        assertEquals(1, attention.release(ReleaseRequest.newBuilder().addSequenceIds(sequence).addSequenceIds(424242).build())
                .getReleased());
        String released = metrics();
        assertEquals(0, PrometheusText.sum(released, "moemesh_attention_cached_sequences"));
        assertEquals(0, PrometheusText.sum(released, "moemesh_attention_kv_cache_used_bytes"));
        assertTrue(PrometheusText.sum(released, "moemesh_attention_kv_cache_free_bytes") >= 2 * page);
        assertEquals(2, attention.attend(request(sequence, 0).build()).getCachedTokens(), "a released sequence starts over");
        attention.release(ReleaseRequest.newBuilder().addSequenceIds(sequence).build());
    }

    @Test
    void badRequestsAreRejectedAndTheServerKeepsServing() {
        long s = SEQUENCES.incrementAndGet();
        assertEquals(Status.Code.INVALID_ARGUMENT, fails(request(s, 0).setLayer(2).build(), "layer 2 is not owned").getStatus().getCode());
        assertEquals(Status.Code.INVALID_ARGUMENT, fails(request(s, 0)
                .setHidden(request(s, 0).getHidden().toBuilder().setData(ByteString.copyFrom(new byte[12]))).build(),
                "needs 512 bytes, got 12").getStatus().getCode());
        assertEquals(Status.Code.INVALID_ARGUMENT, fails(request(s, 0)
                .setHidden(tensor(new float[10], 1, 10)).build(), "shape [tokens > 0, 64]").getStatus().getCode());
        assertEquals(Status.Code.INVALID_ARGUMENT, fails(request(s, 0)
                .setHidden(request(s, 0).getHidden().toBuilder().setDtype(DType.DTYPE_UNSPECIFIED)).build(),
                "F32 or BF16").getStatus().getCode());
        assertEquals(2, attention.attend(request(s, 0).build()).getCachedTokens());
        attention.release(ReleaseRequest.newBuilder().addSequenceIds(s).build());
    }
}

package io.moemesh.expert;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.moemesh.core.ReferenceFixture;
import io.moemesh.core.kernel.MatMul;
import io.moemesh.core.nn.Qwen3Model;
import io.moemesh.core.nn.RecordingTrace;
import io.moemesh.core.roles.ExpertBackend;
import io.moemesh.core.roles.ExpertBatch;
import io.moemesh.core.roles.LocalAttention;
import io.moemesh.core.roles.LocalExperts;
import io.moemesh.core.roles.LocalFeedForward;
import io.moemesh.core.wire.ActivationCodec;
import io.moemesh.core.wire.WireDType;
import io.moemesh.proto.common.v1.DType;
import io.moemesh.proto.common.v1.Tensor;
import io.moemesh.proto.expert.v1.ComputeRequest;
import io.moemesh.proto.expert.v1.ComputeResponse;
import io.moemesh.proto.expert.v1.ExpertServiceGrpc;
import io.moemesh.core.weights.Checkpoint;
import io.moemesh.core.weights.LoadMode;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.*;

/** Batches computed by the expert-service over real gRPC, checked against the in-process experts and the reference. */
@QuarkusTest
@WithTestResource(FixtureModel.class)
class ExpertComputeTest {
    @GrpcClient("expert")
    ExpertServiceGrpc.ExpertServiceBlockingStub expert;

    /** Sends the assignments this replica hosts over gRPC, the rest (layer 3, expert 15) to an in-process host. */
    private ExpertBackend splitBackend(Checkpoint ck, WireDType wire) {
        LocalExperts rest = new LocalExperts(ck, (layer, e) -> layer == 3 && e == 15, MatMul.vector());
        return batch -> {
            int[] remoteIds = batch.experts().clone();
            int[] localIds = batch.experts().clone();
            for (int i = 0; i < remoteIds.length; i++) {
                boolean local = batch.layer() == 3 && remoteIds[i] == 15;
                if (local) {
                    remoteIds[i] = -1;
                } else {
                    localIds[i] = -1;
                }
            }
            float[] sum = remote(new ExpertBatch(batch.layer(), batch.tokens(), batch.hidden(), batch.x(), batch.slots(),
                    remoteIds, batch.weights()), wire);
            float[] local = rest.compute(new ExpertBatch(batch.layer(), batch.tokens(), batch.hidden(), batch.x(),
                    batch.slots(), localIds, batch.weights()));
            for (int i = 0; i < sum.length; i++) {
                sum[i] += local[i];
            }
            return sum;
        };
    }

    private float[] remote(ExpertBatch batch, WireDType wire) {
        ComputeRequest.Builder r = ComputeRequest.newBuilder().setLayer(batch.layer()).setSlots(batch.slots())
                .setHidden(tensor(batch.x(), wire, batch.tokens(), batch.hidden()));
        Arrays.stream(batch.experts()).forEach(r::addExpertIds);
        for (float w : batch.weights()) {
            r.addWeights(w);
        }
        ComputeResponse response = expert.compute(r.build());
        Tensor t = response.getPartialSums();
        return ActivationCodec.decode(t.getData().asReadOnlyByteBuffer(), t.getDtype() == DType.F32 ? WireDType.F32 : WireDType.BF16,
                batch.tokens(), batch.hidden());
    }

    private static Tensor tensor(float[] x, WireDType wire, int tokens, int hidden) {
        return Tensor.newBuilder().setDtype(wire == WireDType.F32 ? DType.F32 : DType.BF16).addShape(tokens).addShape(hidden)
                .setData(ByteString.copyFrom(ActivationCodec.encode(x, wire))).build();
    }

    @Test
    void theModelWithItsExpertsOverGrpcMatchesTheReference() {
        ReferenceFixture ref = ReferenceFixture.load(FixtureModel.MODEL);
        for (WireDType wire : WireDType.values()) {
            try (Checkpoint ck = Checkpoint.open(ref.dir(), LoadMode.MEMORY)) {
                Qwen3Model model = Qwen3Model.load(ck, new LocalAttention(ck, MatMul.vector()),
                        new LocalFeedForward(ck, splitBackend(ck, wire), MatMul.vector()), MatMul.vector());
                RecordingTrace trace = new RecordingTrace();
                float[] logits = model.forward(1, ref.i("input_ids"), true, trace);
                double err = ReferenceFixture.relativeError(logits, ref.f("logits"));
                System.out.printf("expert-service over gRPC, %s wire: logits relative error %.2e%n", wire, err);
                assertTrue(err < (wire == WireDType.F32 ? 1e-5 : 5e-3), wire + " wire: relative error " + err);
                if (wire == WireDType.F32) {
                    for (int l = 0; l < 4; l++) {
                        assertArrayEquals(ref.i("topk_ids." + l), trace.routing().get(l).expertIds(), "topk_ids." + l);
                    }
                }
            }
        }
    }

    private ComputeRequest.Builder validRequest() {
        return ComputeRequest.newBuilder().setLayer(0).setSlots(1).addExpertIds(3).addWeights(1f)
                .setHidden(tensor(new float[64], WireDType.F32, 1, 64));
    }

    private Status.Code failure(ComputeRequest request, String expectedInMessage) {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> expert.compute(request));
        assertTrue(e.getStatus().getDescription().contains(expectedInMessage),
                "'" + e.getStatus().getDescription() + "' should mention '" + expectedInMessage + "'");
        return e.getStatus().getCode();
    }

    @Test
    void badBatchesAreRejectedAndTheServerKeepsServing() {
        assertEquals(Status.Code.INVALID_ARGUMENT, failure(validRequest()
                .setHidden(validRequest().getHidden().toBuilder().setData(ByteString.copyFrom(new byte[100]))).build(),
                "needs 256 bytes, got 100"));
        assertEquals(Status.Code.INVALID_ARGUMENT, failure(validRequest().setLayer(9).build(), "layer 9"));
        assertEquals(Status.Code.INVALID_ARGUMENT, failure(validRequest()
                .setHidden(validRequest().getHidden().toBuilder().setDtype(DType.DTYPE_UNSPECIFIED)).build(), "F32 or BF16"));
        assertEquals(Status.Code.INVALID_ARGUMENT, failure(validRequest()
                .setHidden(tensor(new float[32], WireDType.F32, 1, 32)).build(), "shape [tokens, 64]"));
        assertEquals(Status.Code.INVALID_ARGUMENT, failure(validRequest().addWeights(0.5f).build(), "tokens × slots"));
        assertEquals(Status.Code.FAILED_PRECONDITION, failure(validRequest().setLayer(3).setExpertIds(0, 15).build(),
                "expert 15 of layer 3 is not hosted"));
        ComputeResponse ok = expert.compute(validRequest().setRequestId(42).build());
        assertEquals(42, ok.getRequestId());
        assertEquals(64 * 4, ok.getPartialSums().getData().size());
    }
}

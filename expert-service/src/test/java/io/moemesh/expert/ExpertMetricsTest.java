package io.moemesh.expert;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.protobuf.ByteString;
import io.grpc.StatusRuntimeException;
import io.moemesh.core.PrometheusText;
import io.moemesh.core.wire.ActivationCodec;
import io.moemesh.core.wire.WireDType;
import io.moemesh.proto.common.v1.DType;
import io.moemesh.proto.common.v1.Tensor;
import io.moemesh.proto.expert.v1.ComputeRequest;
import io.moemesh.proto.expert.v1.ExpertServiceGrpc;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

/** The replica's load at /q/metrics, what its group's HorizontalPodAutoscaler scales on. */
@QuarkusTest
@WithTestResource(FixtureModel.class)
class ExpertMetricsTest {
    @GrpcClient("expert")
    ExpertServiceGrpc.ExpertServiceBlockingStub expert;

    private static String metrics() {
        return given().get("/q/metrics").then().statusCode(200).extract().asString();
    }

    @Test
    void tokensCountOnePerTokenPerExpertComputedAndTheQueueEmptiesAgain() {
        String before = metrics();
        int tokens = 3, slots = 2, hidden = 64;
        // 5 assignments: the last slot of the last token is not this replica's (-1).
        int[] ids = {0, 5, 2, 9, 14, -1};
        ComputeRequest.Builder r = ComputeRequest.newBuilder().setLayer(1).setSlots(slots)
                .setHidden(Tensor.newBuilder().setDtype(DType.F32).addShape(tokens).addShape(hidden)
                        .setData(ByteString.copyFrom(ActivationCodec.encode(new float[tokens * hidden], WireDType.F32))));
        for (int id : ids) {
            r.addExpertIds(id).addWeights(0.5f);
        }
        expert.compute(r.build());
        // A refused batch (expert 15 of layer 3 is not hosted here) computes nothing and counts nothing.
        ComputeRequest refused = r.setLayer(3).setExpertIds(0, 15).build();
        assertThrows(StatusRuntimeException.class, () -> expert.compute(refused));

        String after = metrics();
        assertEquals(5, PrometheusText.sum(after, "moemesh_expert_tokens_total", "group=\"default\"")
                - PrometheusText.sum(before, "moemesh_expert_tokens_total", "group=\"default\""));
        assertEquals(1, PrometheusText.sum(after, "moemesh_expert_compute_seconds_count")
                - PrometheusText.sum(before, "moemesh_expert_compute_seconds_count"));
        assertEquals(0, PrometheusText.sum(after, "moemesh_expert_queue_rows"));
    }
}

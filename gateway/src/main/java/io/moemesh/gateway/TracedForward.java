package io.moemesh.gateway;

import com.google.protobuf.UnsafeByteOperations;
import io.moemesh.core.config.Qwen3Config;
import io.moemesh.core.nn.RecordingTrace;
import io.moemesh.core.nn.Routing;
import io.moemesh.core.wire.ActivationCodec;
import io.moemesh.core.wire.WireDType;
import io.moemesh.gateway.engine.GatewayEngine;
import io.moemesh.proto.common.v1.DType;
import io.moemesh.proto.common.v1.Tensor;
import io.moemesh.proto.gateway.v1.ForwardRequest;
import io.moemesh.proto.gateway.v1.ForwardResponse;
import io.moemesh.proto.gateway.v1.LayerRouting;

import java.util.concurrent.atomic.AtomicLong;

/** One traced prefill through whatever placement the gateway has, packed for the wire. */
final class TracedForward {
    /** Sequence ids of traced passes, apart from the generator's. */
    private static final AtomicLong SEQUENCES = new AtomicLong(1L << 62);

    private TracedForward() {
    }

    static ForwardResponse run(GatewayEngine engine, ForwardRequest request) {
        Qwen3Config c = engine.model().config();
        int[] ids = request.getInputIdsList().stream().mapToInt(Integer::intValue).toArray();
        if (ids.length == 0) {
            throw new IllegalArgumentException("input_ids is empty");
        }
        long sequence = SEQUENCES.incrementAndGet();
        RecordingTrace trace = new RecordingTrace();
        float[] logits;
        try {
            logits = engine.model().forward(sequence, ids, true, trace);
        } finally {
            engine.model().release(sequence);
        }
        int t = ids.length;
        ForwardResponse.Builder out = ForwardResponse.newBuilder().setLogits(f32(logits, t, c.vocabSize()));
        trace.hiddenStates().forEach((i, rows) -> out.addHiddenStates(f32(rows, t, c.hiddenSize())));
        trace.routing().forEach((layer, r) -> {
            LayerRouting.Builder lr = LayerRouting.newBuilder().setLayer(layer).setTopK(r.topK());
            if (r.logits() != null) {
                lr.setRouterLogits(f32(r.logits(), t, r.numExperts()));
            }
            for (int id : r.expertIds()) {
                lr.addTopkIds(id);
            }
            for (float w : r.weights()) {
                lr.addTopkWeights(w);
            }
            out.addRouting(lr);
        });
        return out.build();
    }

    private static Tensor f32(float[] values, long rows, long cols) {
        return Tensor.newBuilder().setDtype(DType.F32).addShape(rows).addShape(cols)
                .setData(UnsafeByteOperations.unsafeWrap(ActivationCodec.encode(values, WireDType.F32))).build();
    }
}

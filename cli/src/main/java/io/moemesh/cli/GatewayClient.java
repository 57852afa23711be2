package io.moemesh.cli;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.StatusRuntimeException;
import io.moemesh.core.sampling.SamplingParams;
import io.moemesh.proto.common.v1.Tensor;
import io.moemesh.proto.gateway.v1.DescribeRequest;
import io.moemesh.proto.gateway.v1.ForwardRequest;
import io.moemesh.proto.gateway.v1.ForwardResponse;
import io.moemesh.proto.gateway.v1.GatewayServiceGrpc;
import io.moemesh.proto.gateway.v1.GenerateRequest;
import io.moemesh.proto.gateway.v1.GenerateResponse;
import io.moemesh.proto.gateway.v1.MeshStatsRequest;
import io.moemesh.proto.gateway.v1.MeshStatsResponse;
import io.moemesh.proto.gateway.v1.Sampling;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Iterator;
import java.util.function.IntPredicate;

/** The commands' view of a gateway over gRPC. */
final class GatewayClient implements AutoCloseable {
    private final ManagedChannel channel;
    private final GatewayServiceGrpc.GatewayServiceBlockingStub stub;

    GatewayClient(String endpoint) {
        this.channel = ManagedChannelBuilder.forTarget(endpoint).usePlaintext().maxInboundMessageSize(1 << 30).build();
        this.stub = GatewayServiceGrpc.newBlockingStub(channel);
    }

    ForwardResponse forward(int[] ids) {
        ForwardRequest.Builder r = ForwardRequest.newBuilder();
        for (int id : ids) {
            r.addInputIds(id);
        }
        return call(() -> stub.forward(r.build()));
    }

    /** How a generation ended: "stop" or "length", and the stop token (not streamed, as in the engine) or -1. */
    record Finish(String reason, int stopToken) {
    }

    /** Streams the generated tokens to {@code onToken}, except a final stop token, which the result carries. */
    Finish generate(int[] prompt, int maxNewTokens, SamplingParams p, boolean ignoreEos, IntPredicate onToken) {
        GenerateRequest.Builder r = GenerateRequest.newBuilder().setMaxNewTokens(maxNewTokens).setIgnoreEos(ignoreEos);
        for (int id : prompt) {
            r.addPromptIds(id);
        }
        Sampling.Builder s = Sampling.newBuilder().setTemperature(p.temperature()).setTopK(p.topK()).setTopP(p.topP())
                .setMinP(p.minP()).setPresencePenalty(p.presencePenalty()).setFrequencyPenalty(p.frequencyPenalty())
                .setRepetitionPenalty(p.repetitionPenalty());
        if (p.seed() != null) {
            s.setSeed(p.seed());
        }
        r.setSampling(s);
        return call(() -> {
            for (Iterator<GenerateResponse> it = stub.generate(r.build()); it.hasNext(); ) {
                GenerateResponse token = it.next();
                if (!token.getFinishReason().isEmpty()) {
                    return new Finish(token.getFinishReason(), token.getTokenId());
                }
                if (!onToken.test(token.getTokenId())) {
                    break;
                }
            }
            return new Finish("stop", -1);
        });
    }

    /** The model id the gateway serves (gRPC Describe). */
    String modelId() {
        return call(() -> stub.describe(DescribeRequest.getDefaultInstance()).getModelId());
    }

    /** The gateway's hop statistics (and the router's expert traffic); {@code reset} starts a new window after. */
    MeshStatsResponse meshStats(boolean reset) {
        return call(() -> stub.meshStats(MeshStatsRequest.newBuilder().setReset(reset).build()));
    }

    static float[] floats(Tensor t) {
        ByteBuffer b = t.getData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        float[] out = new float[b.remaining() / 4];
        b.asFloatBuffer().get(out);
        return out;
    }

    private static <T> T call(java.util.function.Supplier<T> rpc) {
        try {
            return rpc.get();
        } catch (StatusRuntimeException e) {
            throw new IllegalArgumentException("the mesh answered " + e.getStatus().getCode() + ": " + e.getStatus().getDescription(), e);
        }
    }

    @Override
    public void close() {
        channel.shutdownNow();
    }
}

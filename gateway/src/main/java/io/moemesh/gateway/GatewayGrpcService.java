package io.moemesh.gateway;

import io.grpc.StatusRuntimeException;
import io.moemesh.core.engine.GeneratedToken;
import io.moemesh.core.engine.GenerationRequest;
import io.moemesh.core.engine.GenerationResult;
import io.moemesh.core.engine.QueueFullException;
import io.moemesh.core.engine.Scheduler;
import io.moemesh.core.engine.TokenSink;
import io.moemesh.core.sampling.SamplingParams;
import io.moemesh.core.tokenizer.IncrementalDecoder;
import io.moemesh.gateway.engine.GatewayEngine;
import io.moemesh.gateway.mesh.HopStats;
import io.moemesh.proto.common.v1.NodeInfo;
import io.moemesh.proto.common.v1.Role;
import io.moemesh.proto.gateway.v1.DescribeRequest;
import io.moemesh.proto.gateway.v1.DescribeResponse;
import io.moemesh.proto.gateway.v1.GatewayService;
import io.moemesh.proto.gateway.v1.GenerateRequest;
import io.moemesh.proto.gateway.v1.GenerateResponse;
import io.moemesh.proto.gateway.v1.MeshStatsRequest;
import io.moemesh.proto.gateway.v1.MeshStatsResponse;
import io.moemesh.proto.gateway.v1.Sampling;
import io.quarkus.grpc.GrpcService;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;

import java.util.Set;

/** The gateway's gRPC API: what it serves, and streaming generation. */
@GrpcService
public class GatewayGrpcService implements GatewayService {

    private final DescribeResponse description;
    private final GatewayEngine engine;

    public GatewayGrpcService(GatewayConfig config, GatewayEngine engine) {
        this.engine = engine;
        this.description = DescribeResponse.newBuilder()
                .setNode(NodeInfo.newBuilder().setRole(Role.ROLE_GATEWAY).setModelDir(config.modelDir()))
                .setModelId(config.modelId())
                .build();
    }

    @Override
    public Uni<DescribeResponse> describe(DescribeRequest request) {
        return Uni.createFrom().item(description);
    }

    @Override
    public Multi<GenerateResponse> generate(GenerateRequest request) {
        if (request.getMessagesCount() > 0) {
            return ChatOverGrpc.generate(engine, request);
        }
        GenerationRequest generation;
        try {
            int[] prompt = request.getPromptIdsCount() > 0
                    ? request.getPromptIdsList().stream().mapToInt(Integer::intValue).toArray()
                    : engine.tokenizer().encode(request.getPrompt());
            generation = new GenerationRequest(prompt, request.getMaxNewTokens(), sampling(request.getSampling()),
                    request.getIgnoreEos() ? Set.of() : engine.stopTokens());
            generation.validate(engine.model().config());
        } catch (IllegalArgumentException | io.moemesh.gateway.engine.EngineNotReadyException e) {
            return Multi.createFrom().failure(GrpcErrors.of(e));
        }
        long arrivalNanos = System.nanoTime();
        return Multi.createFrom().<GenerateResponse>emitter(emitter -> {
            IncrementalDecoder decoder = engine.tokenizer().newDecoder(false);
            var clock = engine.metrics().clock(arrivalNanos);
            try {
                Scheduler.Generation handle = engine.scheduler().submit(generation, new TokenSink() {
                    @Override
                    public boolean onToken(GeneratedToken generated) {
                        clock.tick();
                        emitter.emit(GenerateResponse.newBuilder().setTokenId(generated.id()).setText(decoder.push(generated.id())).build());
                        return !emitter.isCancelled();
                    }

                    @Override
                    public void onFinish(GenerationResult result) {
                        int[] generated = result.generatedIds();
                        int last = generated.length > 0 ? generated[generated.length - 1] : -1;
                        // A stop token is not streamed as a token: it comes with the finish reason.
                        emitter.emit(GenerateResponse.newBuilder()
                                .setTokenId(generation.stopTokens().contains(last) ? last : -1)
                                .setText(decoder.flush()).setFinishReason(result.finishReason()).build());
                        emitter.complete();
                    }

                    @Override
                    public void onError(RuntimeException error) {
                        emitter.fail(GrpcErrors.of(error));
                    }
                });
                engine.metrics().accepted(generation.prompt().length, 1);
                emitter.onTermination(handle::cancel);
            } catch (QueueFullException e) {
                emitter.fail(GrpcErrors.of(e));
            }
        });
    }

    @Override
    @io.smallrye.common.annotation.Blocking
    public Uni<MeshStatsResponse> meshStats(MeshStatsRequest request) {
        MeshStatsResponse.Builder out = MeshStatsResponse.newBuilder()
                .setSteps(engine.scheduler().steps()).setStepSequences(engine.scheduler().stepSequences());
        try {
            engine.remoteFeedForward().ifPresent(router -> {
                out.setRouter(hop(router.stats().snapshot(request.getReset())));
                out.setExperts(router.expertWire());
            });
            engine.remoteAttention().ifPresent(attention -> out.setAttention(hop(attention.stats().snapshot(request.getReset()))));
        } catch (StatusRuntimeException e) {
            return Uni.createFrom().failure(GrpcErrors.of(e));
        }
        return Uni.createFrom().item(out.build());
    }

    private static io.moemesh.proto.common.v1.HopStats hop(HopStats.Snapshot s) {
        return io.moemesh.proto.common.v1.HopStats.newBuilder()
                .setExchanges(s.exchanges()).setRows(s.rows()).setP50Micros(s.p50Micros()).setP99Micros(s.p99Micros())
                .setBytesSent(s.bytesSent()).setBytesReceived(s.bytesReceived()).build();
    }

    @Override
    @io.smallrye.common.annotation.Blocking
    public Uni<io.moemesh.proto.gateway.v1.ForwardResponse> forward(io.moemesh.proto.gateway.v1.ForwardRequest request) {
        try {
            return Uni.createFrom().item(TracedForward.run(engine, request));
        } catch (IllegalArgumentException | StatusRuntimeException e) {
            return Uni.createFrom().failure(GrpcErrors.of(e));
        }
    }

    /** Qwen3's recommended thinking-mode values, overridden by whatever the request sets. */
    private static SamplingParams sampling(Sampling s) {
        SamplingParams d = SamplingParams.qwen3Default(true);
        return new SamplingParams(
                s.hasTemperature() ? s.getTemperature() : d.temperature(),
                s.hasTopK() ? s.getTopK() : d.topK(),
                s.hasTopP() ? s.getTopP() : d.topP(),
                s.hasMinP() ? s.getMinP() : d.minP(),
                s.hasPresencePenalty() ? s.getPresencePenalty() : d.presencePenalty(),
                s.hasFrequencyPenalty() ? s.getFrequencyPenalty() : d.frequencyPenalty(),
                s.hasRepetitionPenalty() ? s.getRepetitionPenalty() : d.repetitionPenalty(),
                s.hasSeed() ? s.getSeed() : null);
    }
}

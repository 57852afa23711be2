package io.moemesh.gateway;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.moemesh.core.engine.Generator;
import io.moemesh.core.sampling.SamplingParams;
import io.moemesh.core.tokenizer.IncrementalDecoder;
import io.moemesh.gateway.engine.GatewayEngine;
import io.moemesh.proto.common.v1.NodeInfo;
import io.moemesh.proto.common.v1.Role;
import io.moemesh.proto.gateway.v1.DescribeRequest;
import io.moemesh.proto.gateway.v1.DescribeResponse;
import io.moemesh.proto.gateway.v1.GatewayService;
import io.moemesh.proto.gateway.v1.GenerateRequest;
import io.moemesh.proto.gateway.v1.GenerateResponse;
import io.moemesh.proto.gateway.v1.Sampling;
import io.quarkus.grpc.GrpcService;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;

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
        int[] prompt;
        SamplingParams params;
        try {
            prompt = request.getPromptIdsCount() > 0 ? request.getPromptIdsList().stream().mapToInt(Integer::intValue).toArray()
                    : engine.tokenizer().encode(request.getPrompt());
            int vocab = engine.model().config().vocabSize();
            for (int id : prompt) {
                if (id < 0 || id >= vocab) {
                    throw new IllegalArgumentException("token id " + id + " is outside the vocabulary [0, " + vocab + ")");
                }
            }
            params = sampling(request.getSampling());
        } catch (IllegalArgumentException e) {
            return Multi.createFrom().failure(Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
        }
        Set<Integer> stops = request.getIgnoreEos() ? Set.of() : engine.stopTokens();
        return Multi.createFrom().<GenerateResponse>emitter(emitter -> {
            IncrementalDecoder decoder = engine.tokenizer().newDecoder(false);
            try {
                var result = new Generator(engine.model()).generate(prompt, request.getMaxNewTokens(), params, stops, token -> {
                    emitter.emit(GenerateResponse.newBuilder().setTokenId(token).setText(decoder.push(token)).build());
                    return !emitter.isCancelled();
                });
                int[] generated = result.generatedIds();
                if (generated.length > 0 && stops.contains(generated[generated.length - 1])) {
                    // the stop token was not streamed: send it with the finish reason
                    emitter.emit(GenerateResponse.newBuilder().setTokenId(generated[generated.length - 1])
                            .setText(decoder.flush()).setFinishReason(result.finishReason()).build());
                } else {
                    emitter.emit(GenerateResponse.newBuilder().setTokenId(-1).setText(decoder.flush())
                            .setFinishReason(result.finishReason()).build());
                }
                emitter.complete();
            } catch (IllegalArgumentException e) {
                emitter.fail(Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
            } catch (StatusRuntimeException e) {
                // A remote role's failure reaches the client with its code; a deadline means the role is unavailable.
                Status.Code code = e.getStatus().getCode() == Status.Code.DEADLINE_EXCEEDED ? Status.Code.UNAVAILABLE
                        : e.getStatus().getCode();
                emitter.fail(Status.fromCode(code).withDescription("remote role: " + e.getStatus().getDescription())
                        .asRuntimeException());
            } catch (RuntimeException e) {
                emitter.fail(Status.INTERNAL.withDescription(e.toString()).asRuntimeException());
            }
        }).runSubscriptionOn(Infrastructure.getDefaultWorkerPool());
    }

    @Override
    @io.smallrye.common.annotation.Blocking
    public Uni<io.moemesh.proto.gateway.v1.ForwardResponse> forward(io.moemesh.proto.gateway.v1.ForwardRequest request) {
        try {
            return Uni.createFrom().item(TracedForward.run(engine, request));
        } catch (IllegalArgumentException e) {
            return Uni.createFrom().failure(Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
        } catch (StatusRuntimeException e) {
            return Uni.createFrom().failure(Status.fromCode(e.getStatus().getCode())
                    .withDescription("remote role: " + e.getStatus().getDescription()).asRuntimeException());
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

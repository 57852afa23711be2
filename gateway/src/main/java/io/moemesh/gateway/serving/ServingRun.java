package io.moemesh.gateway.serving;

import io.moemesh.core.engine.GeneratedToken;
import io.moemesh.core.engine.GenerationRequest;
import io.moemesh.core.engine.GenerationResult;
import io.moemesh.core.engine.Scheduler;
import io.moemesh.core.engine.Steering;
import io.moemesh.core.engine.ThinkingBudget;
import io.moemesh.core.engine.TokenSink;
import io.moemesh.core.tokenizer.Tokenizer;
import io.moemesh.gateway.engine.GatewayEngine;
import io.moemesh.gateway.engine.ServingMetrics;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A request's choices running in the engine's batch: each is its own sequence (its own KV cache, sampler and seed),
 * and their output reaches one {@link RunListener}. Cancelling (the client went away) frees every choice's cache at
 * the next step.
 */
public final class ServingRun {
    private final List<Scheduler.Generation> generations = new ArrayList<>();
    private final RunListener listener;
    private final ServingRequest request;
    private final ServingMetrics metrics;
    private final long arrivalNanos = System.nanoTime();
    private int finished;
    private int completionTokens;
    private int reasoningTokens;
    private boolean failed;

    private ServingRun(ServingRequest request, RunListener listener, ServingMetrics metrics) {
        this.request = request;
        this.listener = listener;
        this.metrics = metrics;
    }

    /**
     * Queues every choice of the request.
     *
     * @throws IllegalArgumentException                      the request does not fit this model (nothing queued)
     * @throws io.moemesh.core.engine.QueueFullException     too many requests are waiting (nothing queued)
     * @throws io.moemesh.gateway.engine.EngineNotReadyException the model is still loading
     */
    public static ServingRun start(GatewayEngine engine, ServingRequest request, RunListener listener) {
        Tokenizer tokenizer = engine.tokenizer();
        Scheduler scheduler = engine.scheduler();
        Set<Integer> stopTokens = request.ignoreEos() ? Set.of() : engine.stopTokens();
        int open = tokenizer.tokenId("<think>").orElse(-1);
        int close = tokenizer.tokenId("</think>").orElse(-1);
        boolean startsInThinking = request.chat() && ThinkingBudget.opensThinking(request.prompt(), open, close);
        List<GenerationRequest> choices = new ArrayList<>();
        for (int i = 0; i < request.n(); i++) {
            Steering budget = request.thinkingBudget() == null ? null
                    : ThinkingBudget.forQwen3(tokenizer, request.thinkingBudget(), request.prompt());
            GenerationRequest g = new GenerationRequest(request.prompt(), request.maxTokens(), request.samplingFor(i),
                    stopTokens, request.topLogprobs(), request.logitBias(), budget);
            g.validate(engine.model().config());
            choices.add(g);
        }
        ServingRun run = new ServingRun(request, listener, engine.metrics());
        // The scheduler's thread may deliver tokens of choice 0 before choice 1 is queued: the run's counters are
        // only touched under its lock.
        synchronized (run) {
            try {
                for (int i = 0; i < choices.size(); i++) {
                    ChoiceOutput output = new ChoiceOutput(i, request, tokenizer, startsInThinking);
                    run.generations.add(scheduler.submit(choices.get(i), run.sink(output)));
                }
                engine.metrics().accepted(request.prompt().length, choices.size());
            } catch (RuntimeException e) {
                run.cancel();
                throw e;
            }
        }
        return run;
    }

    /** Stops every choice; their KV caches are freed at the next step. */
    public void cancel() {
        List<Scheduler.Generation> all;
        synchronized (this) {
            all = List.copyOf(generations);
        }
        all.forEach(Scheduler.Generation::cancel);
    }

    private TokenSink sink(ChoiceOutput output) {
        boolean withLogprobs = request.topLogprobs() >= 0;
        ServingMetrics.TokenClock clock = metrics.clock(arrivalNanos);
        return new TokenSink() {
            @Override
            public boolean onToken(GeneratedToken token) {
                clock.tick();
                synchronized (ServingRun.this) {
                    if (failed) {
                        return false;
                    }
                    ChoiceDelta delta = output.onToken(token, withLogprobs);
                    if (!delta.isEmpty()) {
                        listener.onDelta(delta);
                    }
                    return !output.stopped();
                }
            }

            @Override
            public void onFinish(GenerationResult result) {
                synchronized (ServingRun.this) {
                    if (failed) {
                        return;
                    }
                    ChoiceDelta last = output.finish();
                    if (!last.isEmpty()) {
                        listener.onDelta(last);
                    }
                    completionTokens += result.generatedIds().length;
                    reasoningTokens += output.reasoningTokens();
                    String reason = output.sawToolCall() ? "tool_calls"
                            : result.finishReason().equals("length") ? "length" : "stop";
                    listener.onChoiceFinished(last.choice(), reason);
                    if (++finished == request.n()) {
                        listener.onDone(new Usage(request.prompt().length, completionTokens, reasoningTokens));
                    }
                }
            }

            @Override
            public void onError(RuntimeException error) {
                synchronized (ServingRun.this) {
                    if (failed) {
                        return;
                    }
                    failed = true;
                }
                cancel();
                listener.onError(error);
            }
        };
    }
}

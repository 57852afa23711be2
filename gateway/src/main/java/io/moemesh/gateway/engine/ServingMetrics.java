package io.moemesh.gateway.engine;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.moemesh.core.nn.KvPages;
import io.moemesh.gateway.mesh.HopStats;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * The gateway's serving metrics at /q/metrics, as vLLM exports them: time to first token and inter-token latency
 * (histograms, so Prometheus can take quantiles over any window), tokens in and out, the scheduler's queue depth
 * and running sequences, the KV cache's pages in use and kept for reuse, and the round trip of each layer to a
 * remote role ({@code role} = router or attention).
 */
@Singleton
public class ServingMetrics {
    private final MeterRegistry registry;
    private final Timer timeToFirstToken;
    private final Timer interTokenLatency;
    private final Counter promptTokens;
    private final Counter generationTokens;
    private final List<Gauge> gauges = new CopyOnWriteArrayList<>();

    public ServingMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.timeToFirstToken = Timer.builder("moemesh.gateway.time.to.first.token")
                .description("From a request's arrival to its first generated token (queueing and prefill included)")
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofMinutes(2)).register(registry);
        this.interTokenLatency = Timer.builder("moemesh.gateway.inter.token.latency")
                .description("Between two consecutive tokens of one sequence")
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofNanos(100_000))
                .maximumExpectedValue(Duration.ofSeconds(30)).register(registry);
        this.promptTokens = Counter.builder("moemesh.gateway.prompt.tokens")
                .description("Prompt tokens of accepted requests, once per choice").register(registry);
        this.generationTokens = Counter.builder("moemesh.gateway.generation.tokens")
                .description("Tokens generated").register(registry);
    }

    /**
     * Queue depth, running sequences and KV cache bytes, read from the engine once it is loaded (0 before). Removed
     * again when the application stops ({@link #unwatch}): Quarkus's registry is the JVM's global one, so a gauge
     * left behind would keep reading a stopped engine (held weakly: NaN once collected) where an application started
     * later in the same JVM (the tests) registers its own by the same name.
     */
    void watch(GatewayEngine engine) {
        gauges.add(Gauge.builder("moemesh.gateway.queue.depth", engine, e -> e.ready() ? e.scheduler().queued() : 0)
                .description("Requests waiting for a place in the batch").register(registry));
        gauges.add(Gauge.builder("moemesh.gateway.running.sequences", engine, e -> e.ready() ? e.scheduler().running() : 0)
                .description("Sequences in the running batch").register(registry));
        gauges.add(Gauge.builder("moemesh.gateway.kv.cache.used", engine, e -> e.kvPages().map(KvPages::usedBytes).orElse(0L))
                .baseUnit("bytes").description("KV cache pages held by the sequences in progress (in-process attention)")
                .register(registry));
        gauges.add(Gauge.builder("moemesh.gateway.kv.cache.free", engine, e -> e.kvPages().map(KvPages::freeBytes).orElse(0L))
                .baseUnit("bytes").description("KV cache pages of ended sequences kept for reuse").register(registry));
    }

    @PreDestroy
    void unwatch() {
        gauges.forEach(registry::remove);
        gauges.clear();
    }

    /** Per-layer hop timers for one remote role; after a layer's first hop, recording allocates nothing. */
    HopStats.LayerHopListener hops(String role) {
        Map<Integer, Timer> byLayer = new ConcurrentHashMap<>();
        return (layer, nanos) -> {
            Timer timer = byLayer.get(layer);
            if (timer == null) {
                timer = byLayer.computeIfAbsent(layer, l -> Timer.builder("moemesh.gateway.layer.hop")
                        .description("One layer's round trip from the gateway to a remote role and back, for the "
                                + "whole batch")
                        .tag("role", role).tag("layer", Integer.toString(l))
                        .register(registry));
            }
            timer.record(nanos, TimeUnit.NANOSECONDS);
        };
    }

    public void accepted(int promptTokensPerChoice, int choices) {
        promptTokens.increment((double) promptTokensPerChoice * choices);
    }

    /** A clock for one sequence, started at its request's arrival; tick it on each token. */
    public TokenClock clock(long arrivalNanos) {
        return new TokenClock(arrivalNanos);
    }

    /** Times one sequence's tokens: the first against the arrival, each later one against the one before. */
    public final class TokenClock {
        private final long arrivalNanos;
        private long lastTokenNanos;

        private TokenClock(long arrivalNanos) {
            this.arrivalNanos = arrivalNanos;
        }

        /** Called on the scheduler's thread, one sequence at a time: needs no lock. */
        public void tick() {
            long now = System.nanoTime();
            if (lastTokenNanos == 0) {
                timeToFirstToken.record(now - arrivalNanos, TimeUnit.NANOSECONDS);
            } else {
                interTokenLatency.record(now - lastTokenNanos, TimeUnit.NANOSECONDS);
            }
            lastTokenNanos = now;
            generationTokens.increment();
        }
    }
}

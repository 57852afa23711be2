package io.moemesh.router.dispatch;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Tokens routed to each (layer, expert), exported as {@code moemesh_router_expert_tokens_total{layer,expert}}: the
 * signal for per-expert autoscaling and for re-planning placement (hot experts get more replicas).
 */
public final class ExpertTokenCounters {
    private final MeterRegistry registry;
    private final int experts;
    /** Created on first use: a 94-layer × 128-expert model would otherwise export 12k zero series up front. */
    private final AtomicReferenceArray<Counter> counters;

    public ExpertTokenCounters(MeterRegistry registry, int layers, int experts) {
        this.registry = registry;
        this.experts = experts;
        this.counters = new AtomicReferenceArray<>(layers * Math.max(experts, 0));
    }

    public void count(int layer, int expert, int tokens) {
        int i = layer * experts + expert;
        Counter c = counters.get(i);
        if (c == null) {
            c = Counter.builder("moemesh.router.expert.tokens")
                    .description("Token rows routed to an expert (one per token per chosen expert)")
                    .tag("layer", Integer.toString(layer))
                    .tag("expert", Integer.toString(expert))
                    .register(registry);
            counters.compareAndSet(i, null, c);
        }
        c.increment(tokens);
    }
}

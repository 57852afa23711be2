package io.moemesh.router.dispatch;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Tokens routed to each (layer, expert), exported as {@code moemesh_router_expert_tokens_total{layer,expert}} and
 * as the {@code /expert-load} table: the signal for re-planning placement (`./moe-mesh plan`) and for seeing which
 * experts run hot.
 */
public final class ExpertTokenCounters {
    private final MeterRegistry registry;
    private final int layers;
    private final int experts;
    private final AtomicLongArray tokens;
    /** Series are registered on first use: a 94-layer × 128-expert model would otherwise export 12k zero series. */
    private final AtomicLongArray registered;

    public ExpertTokenCounters(MeterRegistry registry, int layers, int experts) {
        this.registry = registry;
        this.layers = layers;
        this.experts = Math.max(experts, 0);
        this.tokens = new AtomicLongArray(layers * this.experts);
        this.registered = new AtomicLongArray(layers * this.experts);
    }

    public void count(int layer, int expert, int count) {
        int i = layer * experts + expert;
        tokens.addAndGet(i, count);
        if (registered.get(i) == 0 && registered.compareAndSet(i, 0, 1)) {
            FunctionCounter.builder("moemesh.router.expert.tokens", tokens, t -> t.get(i))
                    .description("Token rows routed to an expert (one per token per chosen expert)")
                    .tag("layer", Integer.toString(layer))
                    .tag("expert", Integer.toString(expert))
                    .register(registry);
        }
    }

    /** tokens[layer][expert] since start. */
    public long[][] snapshot() {
        long[][] table = new long[layers][experts];
        for (int l = 0; l < layers; l++) {
            for (int e = 0; e < experts; e++) {
                table[l][e] = tokens.get(l * experts + e);
            }
        }
        return table;
    }
}

package io.moemesh.attention;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.moemesh.core.nn.KvPages;
import io.moemesh.core.roles.LocalAttention;
import io.quarkus.runtime.Startup;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;

import java.util.List;

/**
 * The attention-service's KV caches at /q/metrics: the sequences holding one, the bytes of the pages they hold, and
 * the bytes of the pages of ended sequences kept for reuse. What an operator sizes the service's memory by.
 */
@Singleton
@Startup
public class AttentionMetrics {
    private final MeterRegistry registry;
    private final List<Gauge> gauges;

    public AttentionMetrics(MeterRegistry registry, OwnedAttention owned) {
        this.registry = registry;
        LocalAttention attention = owned.attention();
        KvPages pages = attention.pages();
        this.gauges = List.of(
                Gauge.builder("moemesh.attention.cached.sequences", attention, LocalAttention::cachedSequences)
                        .description("Sequences holding a KV cache here").register(registry),
                Gauge.builder("moemesh.attention.kv.cache.used", pages, KvPages::usedBytes).baseUnit("bytes")
                        .description("KV cache pages held by the sequences in progress").register(registry),
                Gauge.builder("moemesh.attention.kv.cache.free", pages, KvPages::freeBytes).baseUnit("bytes")
                        .description("KV cache pages of ended sequences kept for reuse").register(registry));
    }

    /**
     * Quarkus's registry is the JVM's global one: a gauge left behind would keep reading this stopped service's
     * caches where one started later in the same JVM (the tests) registers its own by the same name.
     */
    @PreDestroy
    void unregister() {
        gauges.forEach(registry::remove);
    }
}

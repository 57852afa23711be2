package io.moemesh.attention;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.moemesh.core.nn.KvPages;
import io.moemesh.core.roles.LocalAttention;
import io.quarkus.runtime.Startup;
import jakarta.inject.Singleton;

/**
 * The attention-service's KV caches at /q/metrics: the sequences holding one, the bytes of the pages they hold, and
 * the bytes of the pages of ended sequences kept for reuse. What an operator sizes the service's memory by.
 */
@Singleton
@Startup
public class AttentionMetrics {
    public AttentionMetrics(MeterRegistry registry, OwnedAttention owned) {
        LocalAttention attention = owned.attention();
        Gauge.builder("moemesh.attention.cached.sequences", attention, LocalAttention::cachedSequences)
                .description("Sequences holding a KV cache here").register(registry);
        KvPages pages = attention.pages();
        Gauge.builder("moemesh.attention.kv.cache.used", pages, KvPages::usedBytes).baseUnit("bytes")
                .description("KV cache pages held by the sequences in progress").register(registry);
        Gauge.builder("moemesh.attention.kv.cache.free", pages, KvPages::freeBytes).baseUnit("bytes")
                .description("KV cache pages of ended sequences kept for reuse").register(registry);
    }
}

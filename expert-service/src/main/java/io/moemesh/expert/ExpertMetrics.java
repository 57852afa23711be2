package io.moemesh.expert;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * A replica's load, at /q/metrics: {@code moemesh_expert_tokens_total} (one per token per hosted expert it
 * computed) is what the HorizontalPodAutoscaler scales the replica's group on, through the Prometheus adapter's
 * rate; {@code moemesh_expert_queue_rows} is the token rows it is working on; {@code moemesh_expert_compute_seconds}
 * times each batch.
 */
@ApplicationScoped
public class ExpertMetrics {
    private final Counter tokens;
    private final Timer compute;
    private final AtomicLong rowsInFlight = new AtomicLong();
    private final MeterRegistry registry;
    private final Gauge queueRows;

    public ExpertMetrics(MeterRegistry registry, ExpertConfig config) {
        this.registry = registry;
        String group = config.group();
        this.tokens = Counter.builder("moemesh.expert.tokens")
                .description("Token rows computed, one per token per expert (the autoscaling signal)")
                .tag("group", group).register(registry);
        this.compute = Timer.builder("moemesh.expert.compute")
                .description("One batch of token rows through this replica's experts")
                .tag("group", group).register(registry);
        this.queueRows = Gauge.builder("moemesh.expert.queue.rows", rowsInFlight, AtomicLong::get)
                .description("Token rows received and not answered yet")
                .tag("group", group).register(registry);
    }

    /**
     * Quarkus's registry is the JVM's global one: the gauge would otherwise outlive this replica and read its
     * counter where a replica started later in the same JVM (the tests) registers its own by the same name.
     */
    @PreDestroy
    void unregister() {
        registry.remove(queueRows);
    }

    /** Runs one batch of {@code rows} tokens ({@code expertIds}: −1 for a slot that is not this replica's). */
    float[] computed(int rows, int[] expertIds, Supplier<float[]> batch) {
        rowsInFlight.addAndGet(rows);
        long start = System.nanoTime();
        try {
            float[] sums = batch.get();
            int assignments = 0;
            for (int id : expertIds) {
                assignments += id >= 0 ? 1 : 0;
            }
            tokens.increment(assignments);
            return sums;
        } finally {
            compute.record(System.nanoTime() - start, java.util.concurrent.TimeUnit.NANOSECONDS);
            rowsInFlight.addAndGet(-rows);
        }
    }
}

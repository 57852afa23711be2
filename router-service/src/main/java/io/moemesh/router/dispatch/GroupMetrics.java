package io.moemesh.router.dispatch;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;

/**
 * What the router sees of each expert group and each layer: tokens sent to a group (its tokens/s is the rate), its
 * replicas, the rows waiting on them (queue depth), and how long each layer's dispatch takes (the per-layer hop to
 * the experts and back, failover included).
 */
public final class GroupMetrics {
    private final MeterRegistry registry;
    private final Map<String, Counter> groupTokens = new ConcurrentHashMap<>();
    private final Map<Integer, Timer> layerDispatch = new ConcurrentHashMap<>();
    private final List<Gauge> gauges = new CopyOnWriteArrayList<>();

    public GroupMetrics(MeterRegistry registry, Placement placement) {
        this.registry = registry;
        ToDoubleFunction<Placement> outstanding = p -> p.replicas().stream().mapToLong(ExpertReplica::outstandingRows).sum();
        gauges.add(Gauge.builder("moemesh.router.outstanding.rows", placement, outstanding)
                .description("Token rows sent to expert replicas and not answered yet")
                .register(registry));
    }

    /** A group's series appear once it is known; the replica gauge follows the placement. */
    public void watchGroup(String group, Placement placement) {
        gauges.add(Gauge.builder("moemesh.router.group.replicas", placement,
                        p -> p.replicas().stream().filter(r -> r.group().equals(group) && r.healthy()).count())
                .description("Healthy replicas of an expert group, as discovered")
                .tag("group", group)
                .register(registry));
    }

    /**
     * Removes the gauges when the router stops: Quarkus's registry is the JVM's global one, so a gauge left behind
     * would keep reading this router's placement where a router started later in the same JVM (the tests) registers
     * its own by the same name.
     */
    public void close() {
        gauges.forEach(registry::remove);
        gauges.clear();
    }

    // get before computeIfAbsent: once a series exists, counting on the per-layer path allocates nothing.
    void tokens(String group, int count) {
        Counter counter = groupTokens.get(group);
        if (counter == null) {
            counter = groupTokens.computeIfAbsent(group, g -> Counter.builder("moemesh.router.group.tokens")
                    .description("Token rows (one per token per chosen expert) computed by an expert group")
                    .tag("group", g)
                    .register(registry));
        }
        counter.increment(count);
    }

    void layerDispatched(int layer, long nanos) {
        Timer timer = layerDispatch.get(layer);
        if (timer == null) {
            timer = layerDispatch.computeIfAbsent(layer, l -> Timer.builder("moemesh.router.layer.dispatch")
                    .description("One layer batch from the router to its expert replicas and back")
                    .tag("layer", Integer.toString(l))
                    .register(registry));
        }
        timer.record(nanos, TimeUnit.NANOSECONDS);
    }
}

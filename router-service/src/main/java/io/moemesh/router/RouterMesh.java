package io.moemesh.router;

import io.micrometer.core.instrument.MeterRegistry;
import io.moemesh.core.config.Qwen3Config;
import io.moemesh.core.kernel.MatMul;
import io.moemesh.core.roles.LocalFeedForward;
import io.moemesh.core.weights.Checkpoint;
import io.moemesh.core.weights.LoadMode;
import io.moemesh.core.wire.WireDType;
import io.moemesh.router.discovery.DnsDiscovery;
import io.moemesh.router.discovery.GroupAddress;
import io.moemesh.router.discovery.ReplicaDiscovery;
import io.moemesh.router.dispatch.GroupMetrics;
import io.moemesh.router.dispatch.ExpertTokenCounters;
import io.moemesh.router.dispatch.ExpertWireCounters;
import io.moemesh.router.dispatch.Placement;
import io.moemesh.router.dispatch.RemoteExperts;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Everything the router computes with, built once at start-up: the gate weights and dense MLPs (read from the
 * checkpoint; expert weights are never loaded here), the placement over the expert replicas, and the dispatcher.
 * Owns their lifetimes: channels and weights are released on shutdown.
 */
@ApplicationScoped
public class RouterMesh {
    private static final Logger LOG = Logger.getLogger(RouterMesh.class);

    private final Checkpoint checkpoint;
    private final Placement placement;
    private final LocalFeedForward feedForward;
    private final ScheduledExecutorService refresher;
    private final ExpertWireCounters wireCounters;
    private final ExpertTokenCounters tokenCounters;
    private final GroupMetrics groupMetrics;
    /** The group of replicas given as a fixed endpoint list rather than found through DNS. */
    static final String STATIC_GROUP = "static";

    public RouterMesh(RouterConfig config, MeterRegistry registry) {
        this.checkpoint = Checkpoint.open(Path.of(config.modelDir()), LoadMode.MEMORY);
        Qwen3Config c = checkpoint.config();
        List<GroupAddress> groups = GroupAddress.parseAll(config.expertGroups().orElse(List.of()));
        ReplicaDiscovery discovery = ReplicaDiscovery.fixed(config.expertEndpoints().orElse(List.of()), STATIC_GROUP)
                .and(new DnsDiscovery(groups));
        // A short Describe deadline: refresh walks the replicas one by one, and a dead one costs the whole deadline.
        this.placement = new Placement(c, discovery, config.replicaBackoffMillis(),
                Math.min(config.expertTimeoutMillis(), 1000));
        WireDType wire = WireDType.valueOf(config.expertWireDtype().toUpperCase(Locale.ROOT));
        this.wireCounters = new ExpertWireCounters(registry);
        this.tokenCounters = new ExpertTokenCounters(registry, c.numHiddenLayers(), Math.max(c.numExperts(), 0));
        this.groupMetrics = new GroupMetrics(registry, placement);
        if (config.expertEndpoints().isPresent()) {
            groupMetrics.watchGroup(STATIC_GROUP, placement);
        }
        groups.forEach(g -> groupMetrics.watchGroup(g.group(), placement));
        RemoteExperts experts = new RemoteExperts(placement, tokenCounters, wireCounters, groupMetrics,
                config.expertTimeoutMillis(), wire);
        this.feedForward = new LocalFeedForward(checkpoint, experts, MatMul.vector());
        this.refresher = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "placement-refresh");
            t.setDaemon(true);
            return t;
        });
        refresher.scheduleWithFixedDelay(this::refreshQuietly, config.placementRefreshMillis(),
                config.placementRefreshMillis(), TimeUnit.MILLISECONDS);
    }

    /** Build the placement before serving: readiness depends on it. */
    void onStart(@Observes StartupEvent event) {
        refreshQuietly();
        List<String> missing = placement.missing();
        if (!missing.isEmpty()) {
            LOG.warnf("placement incomplete: %d (layer, expert) pairs have no replica, e.g. %s", missing.size(),
                    missing.subList(0, Math.min(5, missing.size())));
        }
    }

    void onStop(@Observes ShutdownEvent event) {
        groupMetrics.close();
        refresher.shutdownNow();
        placement.close();
        checkpoint.close();
    }

    private void refreshQuietly() {
        try {
            placement.refresh();
        } catch (RuntimeException e) {
            LOG.warn("placement refresh failed", e);
        }
    }

    public Qwen3Config config() {
        return checkpoint.config();
    }

    public Placement placement() {
        return placement;
    }

    public ExpertWireCounters wireCounters() {
        return wireCounters;
    }

    public ExpertTokenCounters tokenCounters() {
        return tokenCounters;
    }

    public LocalFeedForward feedForward() {
        return feedForward;
    }
}

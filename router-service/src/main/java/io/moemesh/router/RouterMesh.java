package io.moemesh.router;

import io.micrometer.core.instrument.MeterRegistry;
import io.moemesh.core.config.Qwen3Config;
import io.moemesh.core.kernel.MatMul;
import io.moemesh.core.roles.LocalFeedForward;
import io.moemesh.core.weights.Checkpoint;
import io.moemesh.core.weights.LoadMode;
import io.moemesh.core.wire.WireDType;
import io.moemesh.router.dispatch.ExpertReplica;
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

    public RouterMesh(RouterConfig config, MeterRegistry registry) {
        this.checkpoint = Checkpoint.open(Path.of(config.modelDir()), LoadMode.MEMORY);
        Qwen3Config c = checkpoint.config();
        List<ExpertReplica> replicas = config.expertEndpoints().orElse(List.of()).stream()
                .map(String::strip).filter(s -> !s.isEmpty())
                .map(endpoint -> new ExpertReplica(endpoint, config.replicaBackoffMillis()))
                .toList();
        // A short Describe deadline: refresh walks the replicas one by one, and a dead one costs the whole deadline.
        this.placement = new Placement(c, replicas, Math.min(config.expertTimeoutMillis(), 1000));
        WireDType wire = WireDType.valueOf(config.expertWireDtype().toUpperCase(Locale.ROOT));
        this.wireCounters = new ExpertWireCounters(registry);
        RemoteExperts experts = new RemoteExperts(placement,
                new ExpertTokenCounters(registry, c.numHiddenLayers(), Math.max(c.numExperts(), 0)), wireCounters,
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

    public LocalFeedForward feedForward() {
        return feedForward;
    }
}

package io.moemesh.router.dispatch;

import io.grpc.StatusRuntimeException;
import io.moemesh.core.config.Qwen3Config;
import io.moemesh.proto.expert.v1.DescribeRequest;
import io.moemesh.proto.expert.v1.DescribeResponse;
import io.moemesh.proto.expert.v1.ExpertRange;
import io.moemesh.router.discovery.ReplicaDiscovery;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Which replicas host each (layer, expert), built from every replica's Describe. Placement is what the replicas
 * say they host (configuration lives with them), so re-planning a fleet needs no router change: a refresh picks
 * it up. A replica that does not answer keeps what it last said it hosts and is marked down; the dispatcher's
 * failover and back-off handle it from there.
 *
 * <p>The set of replicas itself comes from a {@link ReplicaDiscovery} on every refresh: a replica that appears is
 * asked what it hosts and joins the table; one that disappears leaves the table at once, and its channel is shut
 * down a refresh later, so that batches which picked it from the old table still reach it (and a shut-down gRPC
 * channel completes the calls it has started). Should one be late even so, it retries elsewhere, as after any
 * replica failure.
 */
public final class Placement implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Placement.class);

    private final Qwen3Config config;
    private final ReplicaDiscovery discovery;
    private final long backoffMillis;
    private final long describeTimeoutMillis;
    /** endpoint → replica, in discovery order; replaced whole on refresh, so readers need no lock. */
    private volatile Map<String, ExpertReplica> replicas = Map.of();
    /** Replicas that left at the last refresh, their channels still open for calls already routed to them. */
    private List<ExpertReplica> leaving = List.of();
    /** What each replica last said it hosts; absent until its first successful Describe. */
    private final Map<ExpertReplica, List<ExpertRange>> described = new LinkedHashMap<>();
    /** [layer][expert] → replicas hosting it; replaced whole on refresh, so readers need no lock. */
    private volatile ExpertReplica[][][] hosts;
    private volatile boolean built;

    public Placement(Qwen3Config config, ReplicaDiscovery discovery, long backoffMillis, long describeTimeoutMillis) {
        this.config = config;
        this.discovery = discovery;
        this.backoffMillis = backoffMillis;
        this.describeTimeoutMillis = describeTimeoutMillis;
        this.hosts = new ExpertReplica[config.numHiddenLayers()][Math.max(config.numExperts(), 0)][0];
    }

    public Qwen3Config config() {
        return config;
    }

    /** The replicas discovered at the last refresh. */
    public List<ExpertReplica> replicas() {
        return List.copyOf(replicas.values());
    }

    /** The replicas hosting (layer, expert), live or not. */
    public ExpertReplica[] hosts(int layer, int expert) {
        return hosts[layer][expert];
    }

    /** Asks every replica what it hosts and swaps in the new table. Safe to call from any thread. */
    public synchronized void refresh() {
        Map<String, ExpertReplica> current = follow(discovery.discover());
        for (ExpertReplica replica : current.values()) {
            try {
                replica.reconnectNow();
                // waitForReady: a replica that just came back is reached as soon as its connection is up, instead
                // of failing fast on the channel's remembered TRANSIENT_FAILURE.
                DescribeResponse answer = replica.blockingStub()
                        .withWaitForReady()
                        .withDeadlineAfter(describeTimeoutMillis, TimeUnit.MILLISECONDS)
                        .describe(DescribeRequest.getDefaultInstance());
                described.put(replica, answer.getHostedList());
                replica.markUp();
            } catch (StatusRuntimeException e) {
                replica.markDown("Describe failed: " + e.getStatus());
                LOG.warnf("expert replica %s did not answer Describe: %s", replica, e.getStatus());
            }
        }
        int layers = config.numHiddenLayers(), experts = Math.max(config.numExperts(), 0);
        List<List<List<ExpertReplica>>> table = new ArrayList<>();
        for (int l = 0; l < layers; l++) {
            List<List<ExpertReplica>> row = new ArrayList<>();
            for (int e = 0; e < experts; e++) {
                row.add(new ArrayList<>());
            }
            table.add(row);
        }
        described.forEach((replica, ranges) -> {
            for (ExpertRange r : ranges) {
                for (int l = r.getFirstLayer(); l <= Math.min(r.getLastLayer(), layers - 1); l++) {
                    for (int e = r.getFirstExpert(); e <= Math.min(r.getLastExpert(), experts - 1); e++) {
                        List<ExpertReplica> list = table.get(l).get(e);
                        if (!list.contains(replica)) {
                            list.add(replica);
                        }
                    }
                }
            }
        });
        ExpertReplica[][][] next = new ExpertReplica[layers][experts][];
        for (int l = 0; l < layers; l++) {
            for (int e = 0; e < experts; e++) {
                next[l][e] = table.get(l).get(e).toArray(ExpertReplica[]::new);
            }
        }
        hosts = next;
        built = true;
    }

    /** Opens channels to new replicas and retires the ones that are gone; returns the new endpoint map. */
    private Map<String, ExpertReplica> follow(List<ReplicaDiscovery.Replica> found) {
        leaving.forEach(ExpertReplica::retire);
        List<ExpertReplica> left = new ArrayList<>();
        Map<String, ExpertReplica> before = replicas;
        Map<String, ExpertReplica> after = new LinkedHashMap<>();
        for (ReplicaDiscovery.Replica r : found) {
            ExpertReplica known = before.get(r.endpoint());
            after.putIfAbsent(r.endpoint(), known != null ? known : new ExpertReplica(r.endpoint(), r.group(), backoffMillis));
        }
        for (ExpertReplica gone : before.values()) {
            if (!after.containsKey(gone.endpoint())) {
                LOG.infof("expert replica %s (group %s) left; %d rows in flight to it", gone, gone.group(),
                        gone.outstandingRows());
                described.remove(gone);
                left.add(gone);
            }
        }
        leaving = left;
        for (ExpertReplica added : after.values()) {
            if (!before.containsKey(added.endpoint()) && !before.isEmpty()) {
                LOG.infof("expert replica %s (group %s) joined", added, added.group());
            }
        }
        replicas = after;
        return after;
    }

    public boolean built() {
        return built;
    }

    /** MoE (layer, expert) pairs that no replica hosts, as "layer L expert E"; empty when the placement is complete. */
    public List<String> missing() {
        List<String> missing = new ArrayList<>();
        ExpertReplica[][][] table = hosts;
        for (int l = 0; l < config.numHiddenLayers(); l++) {
            if (!config.isMoeLayer(l)) {
                continue;
            }
            for (int e = 0; e < config.numExperts(); e++) {
                if (table[l][e].length == 0) {
                    missing.add("layer " + l + " expert " + e);
                }
            }
        }
        return missing;
    }

    /** Replicas whose last call or Describe failed, with why. */
    public Map<String, String> down() {
        Map<String, String> down = new LinkedHashMap<>();
        for (ExpertReplica r : replicas.values()) {
            if (!r.healthy()) {
                down.put(r.endpoint(), r.lastFailure());
            }
        }
        return down;
    }

    @Override
    public synchronized void close() {
        leaving.forEach(ExpertReplica::close);
        replicas.values().forEach(ExpertReplica::close);
        replicas = Map.of();
    }

    @Override
    public String toString() {
        return "placement over " + replicas.keySet();
    }
}

package io.moemesh.router.dispatch;

import io.grpc.StatusRuntimeException;
import io.moemesh.core.config.Qwen3Config;
import io.moemesh.proto.expert.v1.DescribeRequest;
import io.moemesh.proto.expert.v1.DescribeResponse;
import io.moemesh.proto.expert.v1.ExpertRange;
import java.util.ArrayList;
import java.util.Arrays;
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
 */
public final class Placement implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Placement.class);

    private final Qwen3Config config;
    private final List<ExpertReplica> replicas;
    private final long describeTimeoutMillis;
    /** What each replica last said it hosts; absent until its first successful Describe. */
    private final Map<ExpertReplica, List<ExpertRange>> described = new LinkedHashMap<>();
    /** [layer][expert] → replicas hosting it; replaced whole on refresh, so readers need no lock. */
    private volatile ExpertReplica[][][] hosts;
    private volatile boolean built;

    public Placement(Qwen3Config config, List<ExpertReplica> replicas, long describeTimeoutMillis) {
        this.config = config;
        this.replicas = List.copyOf(replicas);
        this.describeTimeoutMillis = describeTimeoutMillis;
        this.hosts = new ExpertReplica[config.numHiddenLayers()][Math.max(config.numExperts(), 0)][0];
    }

    public Qwen3Config config() {
        return config;
    }

    public List<ExpertReplica> replicas() {
        return replicas;
    }

    /** The replicas hosting (layer, expert), live or not. */
    public ExpertReplica[] hosts(int layer, int expert) {
        return hosts[layer][expert];
    }

    /** Asks every replica what it hosts and swaps in the new table. Safe to call from any thread. */
    public synchronized void refresh() {
        for (ExpertReplica replica : replicas) {
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
        for (ExpertReplica r : replicas) {
            if (!r.healthy()) {
                down.put(r.endpoint(), r.lastFailure());
            }
        }
        return down;
    }

    @Override
    public void close() {
        replicas.forEach(ExpertReplica::close);
    }

    @Override
    public String toString() {
        return "placement over " + Arrays.toString(replicas.toArray());
    }
}

package io.moemesh.expert;

import io.moemesh.core.config.Qwen3Config;
import io.moemesh.core.kernel.MatMul;
import io.moemesh.core.placement.HostedRange;
import io.moemesh.core.roles.ExpertBatch;
import io.moemesh.core.roles.LocalExperts;
import io.moemesh.core.weights.Checkpoint;
import io.moemesh.core.weights.LoadMode;
import io.quarkus.runtime.Startup;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

import java.nio.file.Path;
import java.util.List;

/**
 * The experts this replica hosts, read at start-up into off-heap memory from the checkpoint (only their own
 * tensors: the other experts' pages are never touched). The service is ready once this bean exists.
 */
@Singleton
@Startup
public class HostedExperts {
    private static final Logger LOG = Logger.getLogger(HostedExperts.class);

    private final Checkpoint checkpoint;
    private final LocalExperts experts;
    private final List<HostedRange> ranges;

    public HostedExperts(ExpertConfig config) {
        this.ranges = HostedRange.parseSpec(config.hosted());
        long start = System.nanoTime();
        this.checkpoint = Checkpoint.open(Path.of(config.modelDir()), LoadMode.MEMORY,
                io.moemesh.core.tensor.WeightPlan.parse(config.weights()));
        Qwen3Config c = checkpoint.config();
        for (HostedRange r : ranges) {
            if (r.lastLayer() >= c.numHiddenLayers() || r.lastExpert() >= c.numExperts()) {
                throw new IllegalArgumentException("moemesh.expert.hosted: " + r + " lies outside the model ("
                        + c.numHiddenLayers() + " layers, " + c.numExperts() + " experts)");
            }
        }
        this.experts = new LocalExperts(checkpoint, this::hosts, MatMul.vector());
        LOG.infof("hosting %d experts of %s (%d MB) loaded in %d ms", experts.size(), config.modelDir(),
                checkpoint.bytesLoaded() >> 20, (System.nanoTime() - start) / 1_000_000);
    }

    public boolean hosts(int layer, int expert) {
        return ranges.stream().anyMatch(r -> layer >= r.firstLayer() && layer <= r.lastLayer()
                && expert >= r.firstExpert() && expert <= r.lastExpert());
    }

    public Qwen3Config config() {
        return checkpoint.config();
    }

    public int size() {
        return experts.size();
    }

    public long bytes() {
        return checkpoint.bytesLoaded();
    }

    public float[] compute(ExpertBatch batch) {
        return experts.compute(batch);
    }

    @PreDestroy
    void close() {
        checkpoint.close();
    }
}

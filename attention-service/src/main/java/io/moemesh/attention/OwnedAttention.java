package io.moemesh.attention;

import io.moemesh.core.config.Qwen3Config;
import io.moemesh.core.kernel.MatMul;
import io.moemesh.core.roles.LocalAttention;
import io.moemesh.core.weights.Checkpoint;
import io.moemesh.core.weights.LoadMode;
import io.quarkus.runtime.Startup;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

import java.nio.file.Path;
import java.util.List;

/** The attention layers this node owns, loaded at start-up into off-heap memory, with their KV caches. */
@Singleton
@Startup
public class OwnedAttention {
    private static final Logger LOG = Logger.getLogger(OwnedAttention.class);

    private final Checkpoint checkpoint;
    private final LocalAttention attention;

    public OwnedAttention(AttentionConfig config) {
        List<LayerRange> ranges = config.layers().map(LayerRange::parseSpec).orElse(List.of());
        long start = System.nanoTime();
        this.checkpoint = Checkpoint.open(Path.of(config.modelDir()), LoadMode.MEMORY,
                io.moemesh.core.tensor.WeightPlan.parse(config.weights()));
        Qwen3Config c = checkpoint.config();
        for (LayerRange r : ranges) {
            if (r.lastLayer() >= c.numHiddenLayers()) {
                throw new IllegalArgumentException("moemesh.attention.layers: " + r + " lies outside the model's "
                        + c.numHiddenLayers() + " layers");
            }
        }
        this.attention = new LocalAttention(checkpoint,
                layer -> ranges.isEmpty() || ranges.stream().anyMatch(r -> layer >= r.firstLayer() && layer <= r.lastLayer()),
                MatMul.vector());
        LOG.infof("attention for %s layers of %s (%d MB) loaded in %d ms", ranges.isEmpty() ? "all" : ranges.toString(),
                config.modelDir(), checkpoint.bytesLoaded() >> 20, (System.nanoTime() - start) / 1_000_000);
    }

    public Qwen3Config config() {
        return checkpoint.config();
    }

    public LocalAttention attention() {
        return attention;
    }

    @PreDestroy
    void close() {
        checkpoint.close();
    }
}

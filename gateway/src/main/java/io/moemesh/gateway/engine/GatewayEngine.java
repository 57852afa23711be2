package io.moemesh.gateway.engine;

import io.moemesh.core.engine.Scheduler;
import io.moemesh.core.kernel.MatMul;
import io.moemesh.core.nn.Qwen3Model;
import io.moemesh.core.roles.AttentionBackend;
import io.moemesh.core.roles.FeedForwardBackend;
import io.moemesh.core.roles.LocalAttention;
import io.moemesh.core.roles.LocalExperts;
import io.moemesh.core.roles.LocalFeedForward;
import io.moemesh.core.tokenizer.Tokenizer;
import io.moemesh.core.weights.Checkpoint;
import io.moemesh.core.weights.LoadMode;
import io.moemesh.core.wire.WireDType;
import io.moemesh.gateway.GatewayConfig;
import io.moemesh.gateway.mesh.RemoteAttention;
import io.moemesh.gateway.mesh.RemoteFeedForward;
import io.quarkus.runtime.Startup;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * The model as the gateway runs it: embeddings, norms and lm_head here; attention here or on an
 * attention-service; the feed-forward blocks (router + experts) here. Which role runs where is configuration.
 */
@Singleton
@Startup
public class GatewayEngine {
    private static final Logger LOG = Logger.getLogger(GatewayEngine.class);

    private final Checkpoint checkpoint;
    private final Qwen3Model model;
    private final Tokenizer tokenizer;
    private final Set<Integer> stopTokens = new HashSet<>();
    private final Scheduler scheduler;
    private final RemoteAttention remoteAttention;
    private final RemoteFeedForward remoteFeedForward;

    public GatewayEngine(GatewayConfig config) {
        Path dir = Path.of(config.modelDir());
        this.checkpoint = Checkpoint.open(dir, LoadMode.MEMORY, io.moemesh.core.tensor.WeightPlan.parse(config.weights()));
        WireDType wire = WireDType.valueOf(config.wireDtype().toUpperCase(Locale.ROOT));
        int layers = checkpoint.config().numHiddenLayers();
        this.remoteAttention = config.attentionEndpoint()
                .map(endpoint -> new RemoteAttention(endpoint, layers, config.attentionTimeoutMillis(), wire)).orElse(null);
        this.remoteFeedForward = config.routerEndpoint()
                .map(endpoint -> new RemoteFeedForward(endpoint, checkpoint.config().numExperts(),
                        config.routerTimeoutMillis(), wire, false)).orElse(null);
        AttentionBackend attention = remoteAttention != null ? remoteAttention : new LocalAttention(checkpoint, MatMul.vector());
        FeedForwardBackend feedForward = remoteFeedForward != null ? remoteFeedForward : new LocalFeedForward(checkpoint,
                new LocalExperts(checkpoint, (layer, expert) -> true, MatMul.vector()), MatMul.vector());
        this.model = Qwen3Model.load(checkpoint, attention, feedForward, MatMul.vector());
        this.scheduler = new Scheduler(model, new Scheduler.Options(config.maxBatch(), config.prefillChunk(), config.maxQueue()));
        this.tokenizer = checkpoint.embeddedTokenizer().orElseGet(() ->
                Files.isRegularFile(dir.resolve("tokenizer.json")) ? Tokenizer.load(dir) : Tokenizer.embeddedQwen3());
        stopTokens.addAll(checkpoint.config().eosTokenIds());
        LOG.infof("serving %s from %s: attention %s, router and experts %s, %d MB loaded here", config.modelId(), dir,
                config.attentionEndpoint().map(e -> "on " + e).orElse("in-process"),
                config.routerEndpoint().map(e -> "on " + e).orElse("in-process"), checkpoint.bytesLoaded() >> 20);
    }

    public Qwen3Model model() {
        return model;
    }

    public Tokenizer tokenizer() {
        return tokenizer;
    }

    public Set<Integer> stopTokens() {
        return stopTokens;
    }

    /** Continuous batching over the model: every generation goes through it. */
    public Scheduler scheduler() {
        return scheduler;
    }

    /** The router-service hop, when the feed-forward role is remote. */
    public Optional<RemoteFeedForward> remoteFeedForward() {
        return Optional.ofNullable(remoteFeedForward);
    }

    /** The attention-service hop, when attention is remote. */
    public Optional<RemoteAttention> remoteAttention() {
        return Optional.ofNullable(remoteAttention);
    }

    @PreDestroy
    void close() {
        scheduler.close();
        model.close();
        checkpoint.close();
    }
}

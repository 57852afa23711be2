package io.moemesh.gateway.engine;

import io.moemesh.core.chat.ModelText;
import io.moemesh.core.engine.Scheduler;
import io.moemesh.core.kernel.MatMul;
import io.moemesh.core.nn.KvPages;
import io.moemesh.core.nn.Qwen3Model;
import io.moemesh.core.roles.AttentionBackend;
import io.moemesh.core.roles.FeedForwardBackend;
import io.moemesh.core.roles.LocalAttention;
import io.moemesh.core.roles.LocalExperts;
import io.moemesh.core.roles.LocalFeedForward;
import io.moemesh.core.tensor.WeightPlan;
import io.moemesh.core.tokenizer.Tokenizer;
import io.moemesh.core.chat.ChatTemplate;
import io.moemesh.core.weights.Checkpoint;
import io.moemesh.core.weights.LoadMode;
import io.moemesh.core.wire.WireDType;
import io.moemesh.gateway.GatewayConfig;
import io.moemesh.gateway.mesh.RemoteAttention;
import io.moemesh.gateway.mesh.RemoteFeedForward;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.Startup;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The model as the gateway runs it: embeddings, norms and lm_head here; attention here or on an
 * attention-service; the feed-forward blocks (router + experts) here or on a router-service. Which role runs where
 * is configuration.
 *
 * <p>Weights load on a thread of their own once the server is up (a 235B gateway reads gigabytes), so health and the
 * API answer during the load: readiness is DOWN and requests get 503 until the model is ready. Progress is logged.
 */
@Singleton
@Startup
public class GatewayEngine {
    private static final Logger LOG = Logger.getLogger(GatewayEngine.class);
    private static final Duration PROGRESS_EVERY = Duration.ofSeconds(5);

    /** Everything that exists once loading has finished. */
    private record Loaded(Checkpoint checkpoint, Qwen3Model model, ModelText text, Scheduler scheduler,
                          LocalAttention localAttention, RemoteAttention remoteAttention,
                          RemoteFeedForward remoteFeedForward) {
    }

    private final GatewayConfig config;
    private final CountDownLatch done = new CountDownLatch(1);
    private final long loadStart = System.nanoTime();
    private volatile Loaded loaded;
    private volatile Checkpoint loading;
    private volatile String failure;
    private volatile boolean closed;

    private final ServingMetrics metrics;

    public GatewayEngine(GatewayConfig config, ServingMetrics metrics) {
        this.config = config;
        this.metrics = metrics;
        metrics.watch(this);
        Thread.ofPlatform().name("moemesh-model-loader").daemon().start(this::load);
    }

    private void load() {
        Path dir = Path.of(config.modelDir());
        Thread progress = Thread.ofPlatform().name("moemesh-load-progress").daemon().start(this::logProgress);
        try {
            LOG.infof("loading %s from %s", config.modelId(), dir);
            Checkpoint checkpoint = Checkpoint.open(dir, LoadMode.MEMORY, WeightPlan.parse(config.weights()));
            loading = checkpoint;
            WireDType wire = WireDType.valueOf(config.wireDtype().toUpperCase(Locale.ROOT));
            int layers = checkpoint.config().numHiddenLayers();
            RemoteAttention remoteAttention = config.attentionEndpoint()
                    .map(endpoint -> new RemoteAttention(endpoint, layers, config.attentionTimeoutMillis(), wire,
                            metrics.hops("attention"))).orElse(null);
            RemoteFeedForward remoteFeedForward = config.routerEndpoint()
                    .map(endpoint -> new RemoteFeedForward(endpoint, checkpoint.config().numExperts(),
                            config.routerTimeoutMillis(), wire, false, metrics.hops("router"))).orElse(null);
            LocalAttention localAttention = remoteAttention != null ? null : new LocalAttention(checkpoint, MatMul.vector());
            AttentionBackend attention = remoteAttention != null ? remoteAttention : localAttention;
            FeedForwardBackend feedForward = remoteFeedForward != null ? remoteFeedForward : new LocalFeedForward(checkpoint,
                    new LocalExperts(checkpoint, (layer, expert) -> true, MatMul.vector()), MatMul.vector());
            Qwen3Model model = Qwen3Model.load(checkpoint, attention, feedForward, MatMul.vector());
            ModelText text = ModelText.of(dir, checkpoint.config().eosTokenIds());
            Scheduler scheduler = new Scheduler(model,
                    new Scheduler.Options(config.maxBatch(), config.prefillChunk(), config.maxQueue()));
            loaded = new Loaded(checkpoint, model, text, scheduler, localAttention, remoteAttention, remoteFeedForward);
            LOG.infof("ready: serving %s from %s in %.1f s: attention %s, router and experts %s, %d MB loaded here",
                    config.modelId(), dir, secondsSinceStart(),
                    config.attentionEndpoint().map(e -> "on " + e).orElse("in-process"),
                    config.routerEndpoint().map(e -> "on " + e).orElse("in-process"), checkpoint.bytesLoaded() >> 20);
        } catch (RuntimeException | Error e) {
            failure = e.getMessage() != null ? e.getMessage() : e.toString();
            LOG.errorf(e, "cannot load the model from %s: %s", dir, failure);
            if (!closed) {
                // A gateway without its model can never serve: exit so the orchestrator sees the failure.
                Quarkus.asyncExit(1);
            }
        } finally {
            done.countDown();
            progress.interrupt();
        }
    }

    private void logProgress() {
        try {
            while (!Thread.currentThread().isInterrupted()) {
                Thread.sleep(PROGRESS_EVERY);
                Checkpoint c = loading;
                LOG.infof("loading %s: %d MB of weights read, %.0f s", config.modelId(),
                        c == null ? 0 : c.bytesLoaded() >> 20, secondsSinceStart());
            }
        } catch (InterruptedException e) {
            // loading finished
        }
    }

    private double secondsSinceStart() {
        return (System.nanoTime() - loadStart) / 1e9;
    }

    /** Whether the model is loaded and requests can run. */
    public boolean ready() {
        return loaded != null;
    }

    /** Why loading failed, if it did. */
    public Optional<String> failure() {
        return Optional.ofNullable(failure);
    }

    /** What to tell a client while not ready: weights read so far. */
    public String loadingStatus() {
        if (failure != null) {
            return "the model failed to load: " + failure;
        }
        Checkpoint c = loading;
        return String.format(Locale.ROOT, "the model %s is still loading (%d MB read, %.0f s)", config.modelId(),
                c == null ? 0 : c.bytesLoaded() >> 20, secondsSinceStart());
    }

    /** Blocks until loading has finished (for tests and tools); true when the model is ready. */
    public boolean awaitReady(Duration timeout) throws InterruptedException {
        return done.await(timeout.toMillis(), TimeUnit.MILLISECONDS) && ready();
    }

    private Loaded loaded() {
        Loaded l = loaded;
        if (l == null) {
            throw new EngineNotReadyException(loadingStatus());
        }
        return l;
    }

    public String modelId() {
        return config.modelId();
    }

    public Qwen3Model model() {
        return loaded().model();
    }

    public Tokenizer tokenizer() {
        return loaded().text().tokenizer();
    }

    public ChatTemplate chatTemplate() {
        return loaded().text().chatTemplate();
    }

    /** The model's end-of-sequence tokens: config.json's, the tokenizer's and generation_config.json's. */
    public Set<Integer> stopTokens() {
        return loaded().text().stopTokens();
    }

    /** Continuous batching over the model: every generation goes through it. */
    public ServingMetrics metrics() {
        return metrics;
    }

    public Scheduler scheduler() {
        return loaded().scheduler();
    }

    /** Sequences with a KV cache in this process (attention in-process), for health and tests: 0 when idle. */
    public int cachedSequences() {
        LocalAttention local = loaded().localAttention();
        return local == null ? 0 : local.cachedSequences();
    }

    /** The KV pages of the in-process attention; none before the model is loaded or when attention is remote. */
    public Optional<KvPages> kvPages() {
        return ready() && loaded().localAttention() != null
                ? Optional.of(loaded().localAttention().pages()) : Optional.empty();
    }

    /** The router-service hop, when the feed-forward role is remote. */
    public Optional<RemoteFeedForward> remoteFeedForward() {
        return Optional.ofNullable(loaded().remoteFeedForward());
    }

    /** The attention-service hop, when attention is remote. */
    public Optional<RemoteAttention> remoteAttention() {
        return Optional.ofNullable(loaded().remoteAttention());
    }

    @PreDestroy
    void close() {
        // A load still running is abandoned (its threads are daemons): stopping must not wait minutes for weights.
        closed = true;
        Loaded l = loaded;
        if (l != null) {
            l.scheduler().close();
            l.model().close();
            l.checkpoint().close();
        }
    }
}

package io.moemesh.core.weights;

import io.moemesh.core.config.Qwen3Config;
import io.moemesh.core.tensor.WeightPlan;
import io.moemesh.core.tokenizer.Tokenizer;
import io.moemesh.core.weights.gguf.GgufConfig;
import io.moemesh.core.weights.gguf.GgufTokenizer;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * A model's weights and config, by Hugging Face tensor names, from either of the two published forms:
 * <ul>
 *   <li>a directory in the Hugging Face layout: {@code config.json} plus {@code model.safetensors}, or shards listed
 *       by {@code model.safetensors.index.json};</li>
 *   <li>a GGUF file (llama.cpp's format, {@code qwen3} / {@code qwen3moe}), or a directory holding exactly one and
 *       no safetensors: config, tokenizer and chat template come from its metadata.</li>
 * </ul>
 */
public final class Checkpoint implements AutoCloseable {
    public static final String INDEX = "model.safetensors.index.json";
    public static final String SINGLE = "model.safetensors";
    public static final String GGUF_SUFFIX = ".gguf";

    private final Path dir;
    private final Qwen3Config config;
    private final TensorSource source;
    private final Arena arena;
    private final LoadMode mode;
    private final AtomicLong bytesLoaded = new AtomicLong();
    private final WeightPlan plan;

    private Checkpoint(Path dir, Qwen3Config config, TensorSource source, Arena arena, LoadMode mode, WeightPlan plan) {
        this.dir = dir;
        this.config = config;
        this.source = source;
        this.arena = arena;
        this.mode = mode;
        this.plan = plan;
    }

    public static Checkpoint open(Path dir, LoadMode mode) {
        return open(dir, mode, WeightPlan.STORED);
    }

    /**
     * @param path a checkpoint directory or a .gguf file
     * @param plan the format each role's matrices take at load (quantized copies live as long as the checkpoint)
     */
    public static Checkpoint open(Path path, LoadMode mode, WeightPlan plan) {
        Path gguf = ggufFile(path);
        if (gguf != null) {
            Arena arena = Arena.ofShared();
            try {
                GgufSource source = GgufSource.open(gguf, arena);
                return new Checkpoint(gguf, GgufConfig.read(source.file()), source, arena, mode, plan);
            } catch (RuntimeException e) {
                arena.close();
                throw e;
            }
        }
        if (!Files.isDirectory(path)) {
            throw new CheckpointException(path + ": not a checkpoint directory (expected config.json and *.safetensors) nor a "
                    + GGUF_SUFFIX + " file");
        }
        Path configFile = path.resolve("config.json");
        if (!Files.isRegularFile(configFile)) {
            throw new CheckpointException(path + ": config.json is missing");
        }
        Qwen3Config config = Qwen3Config.load(configFile);
        Arena arena = Arena.ofShared();
        try {
            return new Checkpoint(path, config, new SafetensorsSource(path, arena), arena, mode, plan);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** The GGUF file {@code path} names: itself, or the lone .gguf of a directory without safetensors; else null. */
    private static Path ggufFile(Path path) {
        if (Files.isRegularFile(path)) {
            return path.getFileName().toString().endsWith(GGUF_SUFFIX) ? path : null;
        }
        if (!Files.isDirectory(path)) {
            return null;
        }
        List<Path> ggufs;
        boolean safetensors;
        try (Stream<Path> files = Files.list(path)) {
            List<Path> all = files.toList();
            ggufs = all.stream().filter(p -> p.getFileName().toString().endsWith(GGUF_SUFFIX)).sorted().toList();
            safetensors = all.stream().anyMatch(SafetensorsSource::isModelFile);
        } catch (IOException e) {
            throw new CheckpointException(path + ": cannot list: " + e.getMessage(), e);
        }
        if (ggufs.isEmpty() || safetensors) {
            return null;
        }
        if (ggufs.size() > 1) {
            throw new CheckpointException(path + ": holds " + ggufs.size() + " " + GGUF_SUFFIX + " files "
                    + ggufs.stream().map(p -> p.getFileName().toString()).toList() + ": name the one to load");
        }
        return ggufs.getFirst();
    }

    /** The checkpoint directory, or the GGUF file. */
    public Path dir() {
        return dir;
    }

    public Qwen3Config config() {
        return config;
    }

    public WeightPlan plan() {
        return plan;
    }

    /** Memory that lives until {@link #close()}: where weights quantized at load are kept. */
    public Arena arena() {
        return arena;
    }

    public LoadMode mode() {
        return mode;
    }

    public Set<String> tensorNames() {
        return source.names();
    }

    public boolean contains(String name) {
        return source.names().contains(name);
    }

    /** The tokenizer stored in the checkpoint file itself (GGUF), if it has one; Hugging Face directories keep theirs apart. */
    public Optional<Tokenizer> embeddedTokenizer() {
        return source instanceof GgufSource g ? GgufTokenizer.read(g.file()) : Optional.empty();
    }

    /** The chat template stored in the checkpoint file itself (GGUF's tokenizer.chat_template), if any. */
    public Optional<String> embeddedChatTemplate() {
        return source instanceof GgufSource g ? GgufTokenizer.chatTemplate(g.file()) : Optional.empty();
    }

    /** Bytes of tensors handed out so far: what this role loaded, for progress and for checking it loaded only its own. */
    public long bytesLoaded() {
        return bytesLoaded.get();
    }

    public TensorSlice tensor(String name) {
        TensorSlice slice = source.tensor(name, mode);
        bytesLoaded.addAndGet(slice.data().byteSize());
        return slice;
    }

    @Override
    public synchronized void close() {
        source.close();
        arena.close();
    }
}

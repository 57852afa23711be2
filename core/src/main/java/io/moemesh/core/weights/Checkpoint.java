package io.moemesh.core.weights;

import io.moemesh.core.config.Qwen3Config;
import io.moemesh.core.tensor.WeightPlan;
import io.moemesh.core.tokenizer.Tokenizer;
import io.moemesh.core.weights.gguf.GgufConfig;
import io.moemesh.core.weights.gguf.GgufFile;
import io.moemesh.core.weights.gguf.GgufTokenizer;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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
    private final java.util.Set<String> namesLoaded = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final AtomicLong bytesCopied = new AtomicLong();
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
        List<Path> gguf = ggufFiles(path);
        if (gguf != null) {
            Arena arena = Arena.ofShared();
            try {
                GgufSource source = GgufSource.open(gguf, arena);
                return new Checkpoint(gguf.getFirst(), GgufConfig.read(source.files()), source, arena, mode, plan);
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

    /** llama.cpp's gguf-split names: {@code prefix-00001-of-00003.gguf}. */
    private static final Pattern SPLIT = Pattern.compile("(.*)-(\\d{5})-of-(\\d{5})\\.gguf");

    /**
     * The GGUF file(s) {@code path} names: itself (with its siblings when it is one part of a split model), or the
     * lone .gguf (or lone split model) of a directory without safetensors; null when it is no GGUF checkpoint.
     */
    private static List<Path> ggufFiles(Path path) {
        if (Files.isRegularFile(path)) {
            return path.getFileName().toString().endsWith(GGUF_SUFFIX) ? withSplitSiblings(path) : null;
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
        List<Path> model = withSplitSiblings(ggufs.getFirst());
        if (!model.equals(ggufs)) {
            throw new CheckpointException(path + ": holds " + ggufs.size() + " " + GGUF_SUFFIX + " files "
                    + ggufs.stream().map(p -> p.getFileName().toString()).toList() + " that are not one model: name the one to load");
        }
        return model;
    }

    /** All parts of a split model, in order, from any one of them; a file that is no part of one alone. */
    private static List<Path> withSplitSiblings(Path file) {
        Matcher m = SPLIT.matcher(file.getFileName().toString());
        if (!m.matches()) {
            return List.of(file);
        }
        int count = Integer.parseInt(m.group(3));
        List<Path> parts = new java.util.ArrayList<>();
        for (int i = 1; i <= count; i++) {
            Path part = file.resolveSibling(String.format("%s-%05d-of-%05d%s", m.group(1), i, count, GGUF_SUFFIX));
            if (!Files.isRegularFile(part)) {
                throw new CheckpointException(file + ": part " + i + " of " + count + " of this split GGUF model, "
                        + part.getFileName() + ", is missing");
            }
            parts.add(part);
        }
        return List.copyOf(parts);
    }

    /** The checkpoint directory, or the GGUF file (the first part of a split one). */
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

    /**
     * The tokenizer and chat template a checkpoint path carries in its own file (GGUF), read from the header alone
     * so a command can tokenize and check a prompt before minutes of loading. Empty for Hugging Face directories,
     * which keep theirs in tokenizer.json / tokenizer_config.json.
     */
    public static Optional<Tokenizer> fileTokenizer(Path path) {
        List<Path> gguf = ggufFiles(path);
        if (gguf == null) {
            return Optional.empty();
        }
        try (Arena header = Arena.ofConfined()) {
            return GgufTokenizer.read(GgufFile.open(gguf.getFirst(), header));
        }
    }

    /** @see #fileTokenizer(Path) */
    public static Optional<String> fileChatTemplate(Path path) {
        List<Path> gguf = ggufFiles(path);
        if (gguf == null) {
            return Optional.empty();
        }
        try (Arena header = Arena.ofConfined()) {
            return GgufTokenizer.chatTemplate(GgufFile.open(gguf.getFirst(), header));
        }
    }

    /** The chat template stored in the checkpoint file itself (GGUF's tokenizer.chat_template), if any. */
    public Optional<String> embeddedChatTemplate() {
        return source instanceof GgufSource g ? GgufTokenizer.chatTemplate(g.file()) : Optional.empty();
    }

    /**
     * Bytes of the tensors handed out so far, each tensor counted once: what this role loaded, for progress and for
     * checking it loaded only its own.
     */
    public long bytesLoaded() {
        return bytesLoaded.get();
    }

    public TensorSlice tensor(String name) {
        return tensor(name, mode);
    }

    /**
     * The tensor through {@code how} rather than the checkpoint's mode: a tensor quantized at load is read once,
     * through a mapping, so that no copy of its stored bytes outlives the quantized one.
     */
    public TensorSlice tensor(String name, LoadMode how) {
        TensorSlice slice = source.tensor(name, how);
        if (namesLoaded.add(name)) {
            // once per tensor: a matrix already in the planned format is looked at through the mapping and then
            // read into memory (Matrices.load), which is one tensor loaded, not two
            bytesLoaded.addAndGet(slice.data().byteSize());
        }
        if (how == LoadMode.MEMORY) {
            bytesCopied.addAndGet(slice.data().byteSize());
        }
        return slice;
    }

    /** Bytes of stored tensors read into off-heap memory that the checkpoint owns (with {@link LoadMode#MEMORY}). */
    public long bytesCopiedIntoMemory() {
        return bytesCopied.get();
    }

    @Override
    public synchronized void close() {
        source.close();
        arena.close();
    }
}

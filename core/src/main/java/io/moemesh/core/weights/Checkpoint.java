package io.moemesh.core.weights;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.moemesh.core.config.Qwen3Config;
import io.moemesh.core.tensor.WeightPlan;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * A checkpoint directory in the published layout: {@code config.json} plus {@code model.safetensors}, or shards
 * listed by {@code model.safetensors.index.json}. Shards are opened on first use, so a role that needs a few
 * tensors reads only the headers of the shards that hold them.
 */
public final class Checkpoint implements AutoCloseable {
    public static final String INDEX = "model.safetensors.index.json";
    public static final String SINGLE = "model.safetensors";

    private final Path dir;
    private final Qwen3Config config;
    private final Map<String, String> weightMap;
    private final Map<String, SafetensorsFile> openShards = new HashMap<>();
    private final Arena arena = Arena.ofShared();
    private final LoadMode mode;
    private final AtomicLong bytesLoaded = new AtomicLong();
    private final WeightPlan plan;

    private Checkpoint(Path dir, Qwen3Config config, Map<String, String> weightMap, LoadMode mode, WeightPlan plan) {
        this.dir = dir;
        this.config = config;
        this.weightMap = weightMap;
        this.mode = mode;
        this.plan = plan;
    }

    public static Checkpoint open(Path dir, LoadMode mode) {
        return open(dir, mode, WeightPlan.STORED);
    }

    /** @param plan the format each role's matrices take at load (quantized copies live as long as the checkpoint) */
    public static Checkpoint open(Path dir, LoadMode mode, WeightPlan plan) {
        if (!Files.isDirectory(dir)) {
            throw new CheckpointException(dir + ": not a checkpoint directory (expected config.json and *.safetensors)");
        }
        Path configFile = dir.resolve("config.json");
        if (!Files.isRegularFile(configFile)) {
            throw new CheckpointException(dir + ": config.json is missing");
        }
        Qwen3Config config = Qwen3Config.load(configFile);
        return new Checkpoint(dir, config, weightMap(dir), mode, plan);
    }

    /** tensor name → shard file name, from the index, or from the headers of the lone file(s). */
    private static Map<String, String> weightMap(Path dir) {
        Path index = dir.resolve(INDEX);
        if (Files.isRegularFile(index)) {
            JsonNode root;
            try {
                root = new ObjectMapper().readTree(Files.readString(index));
            } catch (IOException e) {
                throw new CheckpointException(index + ": cannot read the shard index: " + e.getMessage(), e);
            }
            JsonNode map = root == null ? null : root.get("weight_map");
            if (map == null || !map.isObject()) {
                throw new CheckpointException(index + ": has no weight_map object");
            }
            Map<String, String> out = new TreeMap<>();
            map.properties().forEach(e -> {
                String shard = e.getValue().asText();
                if (shard.contains("/") || shard.contains("\\")) {
                    throw new CheckpointException(index + ": shard name '" + shard + "' must be a file in the directory");
                }
                out.put(e.getKey(), shard);
            });
            for (String shard : Set.copyOf(out.values())) {
                if (!Files.isRegularFile(dir.resolve(shard))) {
                    throw new CheckpointException(index + ": lists shard '" + shard + "' which is missing from " + dir);
                }
            }
            return Collections.unmodifiableMap(out);
        }
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(p -> p.getFileName().toString().endsWith(".safetensors"))
                    .filter(p -> !p.getFileName().toString().startsWith("reference")).sorted().toList()) {
                try (Arena headerOnly = Arena.ofConfined(); SafetensorsFile file = SafetensorsFile.open(f, headerOnly)) {
                    for (String name : file.names()) {
                        out.put(name, f.getFileName().toString());
                    }
                }
            }
        } catch (IOException e) {
            throw new CheckpointException(dir + ": cannot list: " + e.getMessage(), e);
        }
        if (out.isEmpty()) {
            throw new CheckpointException(dir + ": no " + SINGLE + " and no " + INDEX);
        }
        return Collections.unmodifiableMap(out);
    }

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
        return weightMap.keySet();
    }

    public boolean contains(String name) {
        return weightMap.containsKey(name);
    }

    /** Bytes of tensors handed out so far: what this role loaded, for progress and for checking it loaded only its own. */
    public long bytesLoaded() {
        return bytesLoaded.get();
    }

    public TensorSlice tensor(String name) {
        String shard = weightMap.get(name);
        if (shard == null) {
            throw new CheckpointException(dir + ": tensor '" + name + "' is missing from the checkpoint");
        }
        SafetensorsFile file = shard(shard);
        if (!file.contains(name)) {
            throw new CheckpointException(file.path() + ": tensor '" + name + "' is listed in " + INDEX
                    + " but missing from the shard");
        }
        TensorSlice slice = file.tensor(name, mode);
        bytesLoaded.addAndGet(slice.data().byteSize());
        return slice;
    }

    private synchronized SafetensorsFile shard(String fileName) {
        return openShards.computeIfAbsent(fileName, f -> SafetensorsFile.open(dir.resolve(f), arena));
    }

    @Override
    public synchronized void close() {
        openShards.values().forEach(SafetensorsFile::close);
        openShards.clear();
        arena.close();
    }
}

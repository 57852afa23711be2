package io.moemesh.core.weights;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

import static io.moemesh.core.weights.Checkpoint.INDEX;
import static io.moemesh.core.weights.Checkpoint.SINGLE;

/**
 * The published layout's tensors: {@code model.safetensors}, or shards listed by {@code model.safetensors.index.json}.
 * Shards are opened on first use, so a role that needs a few tensors reads only the headers of the shards that hold them.
 */
final class SafetensorsSource implements TensorSource {
    private final Path dir;
    private final Map<String, String> weightMap;
    private final Map<String, SafetensorsFile> openShards = new HashMap<>();
    private final Arena arena;

    SafetensorsSource(Path dir, Arena arena) {
        this.dir = dir;
        this.weightMap = weightMap(dir);
        this.arena = arena;
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
            for (Path f : files.filter(SafetensorsSource::isModelFile).sorted().toList()) {
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

    /** A weights file of the model (reference*.safetensors are the test fixtures' expected outputs). */
    static boolean isModelFile(Path p) {
        String name = p.getFileName().toString();
        return name.endsWith(".safetensors") && !name.startsWith("reference");
    }

    @Override
    public Set<String> names() {
        return weightMap.keySet();
    }

    @Override
    public TensorSlice tensor(String name, LoadMode mode) {
        String shard = weightMap.get(name);
        if (shard == null) {
            throw new CheckpointException(dir + ": tensor '" + name + "' is missing from the checkpoint");
        }
        SafetensorsFile file = shard(shard);
        if (!file.contains(name)) {
            throw new CheckpointException(file.path() + ": tensor '" + name + "' is listed in " + INDEX
                    + " but missing from the shard");
        }
        return file.tensor(name, mode);
    }

    private synchronized SafetensorsFile shard(String fileName) {
        return openShards.computeIfAbsent(fileName, f -> SafetensorsFile.open(dir.resolve(f), arena));
    }

    @Override
    public synchronized void close() {
        openShards.values().forEach(SafetensorsFile::close);
        openShards.clear();
    }
}

package io.moemesh.core;

import io.moemesh.core.weights.SafetensorsFile;
import io.moemesh.core.weights.TensorSlice;
import io.moemesh.core.weights.LoadMode;

import java.lang.foreign.Arena;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A reference model from test resources (copied from shared/reference): the checkpoint directory and what
 * transformers computed on it (reference.safetensors).
 */
public record ReferenceFixture(String name, Path dir, Map<String, float[]> floats, Map<String, int[]> ints) {
    public static final List<String> MODELS = List.of("tiny-qwen3-moe", "tiny-qwen3-moe-128x8", "tiny-qwen3-dense",
            "tiny-qwen3-moe-yarn", "tiny-qwen3-moe-fp8");

    private static final Map<String, Path> EXTRACTED = new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * The fixture's directory. Other modules get the fixtures from core's test-jar; checkpoints must be real files
     * (they are memory-mapped), so a fixture inside a jar is copied out once per JVM.
     */
    public static Path modelDir(String name) {
        return EXTRACTED.computeIfAbsent(name, ReferenceFixture::locate);
    }

    private static Path locate(String name) {
        java.net.URL url = Objects.requireNonNull(ReferenceFixture.class.getResource("/reference/" + name + "/config.json"),
                "missing test resource /reference/" + name);
        try {
            if (!"jar".equals(url.getProtocol())) {
                return Path.of(url.toURI()).getParent();
            }
            Path target = java.nio.file.Files.createTempDirectory("moemesh-fixture-");
            try (java.nio.file.FileSystem jar = java.nio.file.FileSystems.newFileSystem(url.toURI(), Map.of());
                 java.util.stream.Stream<Path> files = java.nio.file.Files.list(jar.getPath("/reference/" + name))) {
                for (Path f : files.toList()) {
                    java.nio.file.Files.copy(f, target.resolve(f.getFileName().toString()));
                }
            }
            return target;
        } catch (URISyntaxException | java.io.IOException e) {
            throw new IllegalStateException("cannot read fixture " + name + ": " + e.getMessage(), e);
        }
    }

    public static ReferenceFixture load(String name) {
        Path dir = modelDir(name);
        Map<String, float[]> floats = new HashMap<>();
        Map<String, int[]> ints = new HashMap<>();
        try (Arena arena = Arena.ofConfined(); SafetensorsFile f = SafetensorsFile.open(dir.resolve("reference.safetensors"), arena)) {
            for (String t : f.names()) {
                TensorSlice s = f.tensor(t, LoadMode.MEMORY);
                switch (s.dtype()) {
                    case I32, I64 -> ints.put(t, s.toInts());
                    default -> floats.put(t, s.toFloats());
                }
            }
        }
        return new ReferenceFixture(name, dir, floats, ints);
    }

    public float[] f(String tensor) {
        return Objects.requireNonNull(floats.get(tensor), () -> name + ": no float tensor " + tensor);
    }

    public int[] i(String tensor) {
        return Objects.requireNonNull(ints.get(tensor), () -> name + ": no int tensor " + tensor);
    }

    /** ‖out − ref‖ / ‖ref‖ */
    public static double relativeError(float[] out, float[] ref) {
        if (out.length != ref.length) {
            throw new AssertionError("length " + out.length + " vs reference " + ref.length);
        }
        double diff = 0, norm = 0;
        for (int i = 0; i < out.length; i++) {
            double d = (double) out[i] - ref[i];
            diff += d * d;
            norm += (double) ref[i] * ref[i];
        }
        return Math.sqrt(diff) / Math.sqrt(norm);
    }
}

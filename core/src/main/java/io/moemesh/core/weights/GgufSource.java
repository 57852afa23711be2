package io.moemesh.core.weights;

import io.moemesh.core.weights.gguf.GgufFile;
import io.moemesh.core.weights.gguf.GgufNames;

import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A GGUF file's tensors under the Hugging Face names the engine asks for (see {@link GgufNames}); an expert's
 * weight is its slice of the layer's 3-D expert tensor. Tensors with no Hugging Face name keep their GGUF name.
 * A model split by llama.cpp's gguf-split is several files: metadata in the first, tensors spread over all.
 */
final class GgufSource implements TensorSource {
    private record Location(GgufFile file, String gguf, int expert) {
    }

    private final List<GgufFile> files;
    private final Map<String, Location> names;

    GgufSource(List<GgufFile> files) {
        this.files = List.copyOf(files);
        Map<String, Location> map = new LinkedHashMap<>();
        for (GgufFile file : files) {
            for (GgufFile.TensorInfo t : file.tensors().values()) {
                long experts = t.dims().length == 3 ? t.dims()[2] : 0;
                var hf = GgufNames.huggingFace(t.name(), experts);
                if (hf.isEmpty()) {
                    map.put(t.name(), new Location(file, t.name(), -1));
                }
                for (int i = 0; i < hf.size(); i++) {
                    map.put(hf.get(i), new Location(file, t.name(), hf.size() > 1 || experts > 0 ? i : -1));
                }
            }
        }
        this.names = Collections.unmodifiableMap(map);
    }

    static GgufSource open(List<Path> paths, Arena arena) {
        return new GgufSource(paths.stream().map(p -> GgufFile.open(p, arena)).toList());
    }

    /** The file with the metadata (the first of a split model). */
    GgufFile file() {
        return files.getFirst();
    }

    List<GgufFile> files() {
        return files;
    }

    @Override
    public Set<String> names() {
        return names.keySet();
    }

    @Override
    public TensorSlice tensor(String name, LoadMode mode) {
        Location ref = names.get(name);
        if (ref == null) {
            throw new CheckpointException(file().path() + ": tensor '" + name + "' is missing from the checkpoint"
                    + (GgufNames.gguf(name) != null ? " (GGUF name '" + GgufNames.gguf(name).gguf() + "')" : ""));
        }
        GgufFile file = ref.file();
        GgufFile.TensorInfo t = file.info(ref.gguf());
        if (ref.expert() < 0) {
            TensorSlice whole = file.tensor(ref.gguf(), mode);
            return new TensorSlice(name, whole.dtype(), whole.shape(), whole.data(), where(file, t, -1));
        }
        if (t.dims().length != 3) {
            throw new CheckpointException(where(file, t, ref.expert()) + ": expert tensors must be 3-D, got "
                    + t.dims().length + "-D");
        }
        long perExpert = t.byteSize() / t.dims()[2];
        return new TensorSlice(name, t.dtype(), new long[]{t.dims()[1], t.dims()[0]},
                file.data(t, ref.expert() * perExpert, perExpert, mode), where(file, t, ref.expert()));
    }

    private static String where(GgufFile file, GgufFile.TensorInfo t, int expert) {
        return file.path() + " [" + t.name() + (expert >= 0 ? ", expert " + expert : "") + "]";
    }

    @Override
    public void close() {
        // the mapping belongs to the checkpoint's arena
    }
}

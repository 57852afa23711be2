package io.moemesh.core.weights;

import java.util.Set;

/** Where a {@link Checkpoint}'s tensors come from, by their Hugging Face names: safetensors shards or a GGUF file. */
interface TensorSource extends AutoCloseable {
    Set<String> names();

    TensorSlice tensor(String name, LoadMode mode);

    @Override
    void close();
}

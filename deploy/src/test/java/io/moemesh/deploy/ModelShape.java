package io.moemesh.deploy;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.moemesh.core.config.Qwen3Config;
import io.moemesh.core.embedded.EmbeddedModel;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/**
 * The model a values file is for, known by the last segment of its model.path: the embedded default model, or one of
 * the Qwen3 configs core's tests carry (/qwen3-configs/NAME/config.json, the published config.json files).
 */
record ModelShape(String name, Qwen3Config config) {

    static ModelShape of(String modelPath) {
        String name = Path.of(modelPath).getFileName().toString();
        if (name.equals(EmbeddedModel.NAME)) {
            return new ModelShape(name, Qwen3Config.parse(EmbeddedModel.config(), name));
        }
        String resource = "/qwen3-configs/" + name + "/config.json";
        try (InputStream in = ModelShape.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new AssertionError("model.path " + modelPath + ": no config for a model named " + name + " (expected "
                        + EmbeddedModel.NAME + " or a directory under core's test resources /qwen3-configs)");
            }
            return new ModelShape(name, Qwen3Config.parse(new ObjectMapper().readTree(in), resource));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static ModelShape ofDir(Path checkpoint) {
        return new ModelShape(checkpoint.getFileName().toString(), Qwen3Config.load(checkpoint.resolve("config.json")));
    }

    int layers() {
        return config.numHiddenLayers();
    }

    int experts() {
        return config.numExperts();
    }

    boolean isMoeLayer(int layer) {
        return config.isMoeLayer(layer);
    }
}

package io.moemesh.gateway.api;

import io.moemesh.core.embedded.EmbeddedModel;
import io.quarkus.test.junit.QuarkusTestProfile;

import java.util.Map;

/**
 * The gateway on the embedded default model: the real Qwen3 tokenizer, chat template and vocabulary (the reference
 * fixtures have 1,024 tokens, too few for a chat prompt), random weights. Written once under $MOEMESH_HOME.
 */
public class EmbeddedModelProfile implements QuarkusTestProfile {
    public static final String MODEL_ID = "qwen3-embedded";

    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.of("moemesh.gateway.model-dir", EmbeddedModel.ensure(line -> { }).toString(),
                "moemesh.gateway.model-id", MODEL_ID);
    }
}

package io.moemesh.core.config;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

import static org.junit.jupiter.api.Assertions.*;

class Qwen3ConfigTest {
    static Path resource(String path) throws Exception {
        return Path.of(Objects.requireNonNull(Qwen3ConfigTest.class.getResource(path), path).toURI());
    }

    @ParameterizedTest
    @ValueSource(strings = {"Qwen3-0.6B", "Qwen3-1.7B", "Qwen3-4B", "Qwen3-8B", "Qwen3-14B", "Qwen3-32B",
            "Qwen3-30B-A3B", "Qwen3-235B-A22B"})
    void parsesEveryPublishedConfig(String model) throws Exception {
        Qwen3Config c = Qwen3Config.load(resource("/qwen3-configs/" + model + "/config.json"));
        assertEquals(151936, c.vocabSize());
        assertEquals(128, c.headDim(), "head_dim is read, not derived");
        assertEquals(1e-6, c.rmsNormEps(), 1e-12);
        assertEquals(1_000_000.0, c.ropeTheta());
        assertEquals(c.isMoe(), model.contains("-A"));
        if (c.isMoe()) {
            assertEquals(128, c.numExperts());
            assertEquals(8, c.numExpertsPerToken());
            assertTrue(c.normTopkProb());
            assertTrue(c.isMoeLayer(0) && c.isMoeLayer(c.numHiddenLayers() - 1));
        }
    }

    @Test
    void qwen3_235bShapesAreTheRealOnes() throws Exception {
        Qwen3Config c = Qwen3Config.load(resource("/qwen3-configs/Qwen3-235B-A22B/config.json"));
        assertEquals(94, c.numHiddenLayers());
        assertEquals(4096, c.hiddenSize());
        assertEquals(64 * 128, c.qDim(), "64 heads × 128 = 8192 ≠ hidden 4096");
        assertEquals(4 * 128, c.kvDim());
        assertEquals(1536, c.moeIntermediateSize());
        assertFalse(c.tieWordEmbeddings());
        assertEquals(java.util.List.of(151645), c.eosTokenIds());
    }

    @Test
    void smallDenseModelsTieEmbeddings() throws Exception {
        assertTrue(Qwen3Config.load(resource("/qwen3-configs/Qwen3-0.6B/config.json")).tieWordEmbeddings());
    }

    @Test
    void sparseStepAndMlpOnlyLayersChooseDenseLayers() throws Exception {
        ObjectNode n = (ObjectNode) new ObjectMapper().readTree(Files.readString(resource("/qwen3-configs/Qwen3-30B-A3B/config.json")));
        n.put("decoder_sparse_step", 2);
        n.putArray("mlp_only_layers").add(3);
        Qwen3Config c = Qwen3Config.parse(n, "test");
        assertFalse(c.isMoeLayer(0), "step 2: layer 0 dense");
        assertTrue(c.isMoeLayer(1));
        assertFalse(c.isMoeLayer(3), "listed in mlp_only_layers");
        assertTrue(c.isMoeLayer(5));
    }

    @Test
    void yarnAndFp8AreRead() throws Exception {
        Qwen3Config yarn = Qwen3Config.load(resource("/reference/tiny-qwen3-moe-yarn/config.json"));
        assertTrue(yarn.ropeScaling().isYarn());
        assertEquals(4.0, yarn.ropeScaling().factor());
        assertEquals(32768, yarn.ropeScaling().originalMaxPositionEmbeddings());
        Qwen3Config fp8 = Qwen3Config.load(resource("/reference/tiny-qwen3-moe-fp8/config.json"));
        assertTrue(fp8.isFp8());
        assertEquals(128, fp8.fp8BlockRows());
    }

    @Test
    void badConfigsNameTheFileAndKey(@org.junit.jupiter.api.io.TempDir Path dir) throws IOException {
        Path f = dir.resolve("config.json");
        Files.writeString(f, "{\"model_type\":\"llama\"}");
        ConfigException e = assertThrows(ConfigException.class, () -> Qwen3Config.load(f));
        assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains("llama"), e.getMessage());

        Files.writeString(f, "{\"model_type\":\"qwen3_moe\",\"vocab_size\":10,\"hidden_size\":\"big\"}");
        e = assertThrows(ConfigException.class, () -> Qwen3Config.load(f));
        assertTrue(e.getMessage().contains("hidden_size"), e.getMessage());

        Files.writeString(f, "{not json");
        e = assertThrows(ConfigException.class, () -> Qwen3Config.load(f));
        assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
    }
}

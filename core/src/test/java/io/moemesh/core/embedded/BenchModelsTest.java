package io.moemesh.core.embedded;

import io.moemesh.core.config.Qwen3Config;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Objects;

import static org.junit.jupiter.api.Assertions.*;

/** The synthetic benchmark models have the layers of the published ones: their config.json's numbers. */
class BenchModelsTest {
    @ParameterizedTest
    @CsvSource({"30b-a3b,Qwen3-30B-A3B,8", "235b-a22b,Qwen3-235B-A22B,2"})
    void syntheticLayersAreThePublishedModelsLayers(String key, String published, int llamaCppCut) throws Exception {
        Qwen3Config real = Qwen3Config.load(Path.of(Objects.requireNonNull(
                getClass().getResource("/qwen3-configs/" + published + "/config.json")).toURI()));
        BenchModels.Shape shape = BenchModels.Shape.of(key);
        Qwen3Config synthetic = Qwen3Config.parse(shape.config(2, real.vocabSize()), key);
        assertEquals(2, synthetic.numHiddenLayers());
        assertEquals(real.modelType(), synthetic.modelType());
        assertEquals(real.hiddenSize(), synthetic.hiddenSize());
        assertEquals(real.intermediateSize(), synthetic.intermediateSize());
        assertEquals(real.numAttentionHeads(), synthetic.numAttentionHeads());
        assertEquals(real.numKeyValueHeads(), synthetic.numKeyValueHeads());
        assertEquals(real.headDim(), synthetic.headDim());
        assertEquals(real.numExperts(), synthetic.numExperts());
        assertEquals(real.numExpertsPerToken(), synthetic.numExpertsPerToken());
        assertEquals(real.moeIntermediateSize(), synthetic.moeIntermediateSize());
        assertEquals(real.normTopkProb(), synthetic.normTopkProb());
        assertEquals(real.tieWordEmbeddings(), synthetic.tieWordEmbeddings());
        assertEquals(key + "-2layers", shape.name(2));
        assertEquals(llamaCppCut, shape.benchLayers(), "the layers of the issue's llama.cpp figures for " + key);
    }

    @Test
    void anUnknownShapeIsAnErrorThatListsTheKnownOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BenchModels.Shape.of("7b"));
        assertEquals("unknown model shape '7b': expected one of 30b-a3b, 235b-a22b", e.getMessage());
        assertSame(BenchModels.Shape.QWEN3_235B_A22B, BenchModels.Shape.of(" 235B-A22B "));
    }
}

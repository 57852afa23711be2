package io.moemesh.core.config;

/**
 * The {@code rope_scaling} entry of config.json. Only {@code yarn} changes the frequencies for Qwen3
 * (the 128K-context setting); {@code default}/absent means plain RoPE.
 *
 * @param attentionFactor null when the config leaves it to be derived from the factor (as transformers does)
 */
public record RopeScaling(String type, double factor, Integer originalMaxPositionEmbeddings, Double attentionFactor,
                          Double mscale, Double mscaleAllDim, double betaFast, double betaSlow, boolean truncate) {

    public boolean isYarn() {
        return "yarn".equals(type);
    }
}

package io.moemesh.core.nn;

import io.moemesh.core.kernel.Scratch;
import io.moemesh.core.tensor.VectorMath;

import io.moemesh.core.config.Qwen3Config;
import io.moemesh.core.config.RopeScaling;

/**
 * Rotary position embedding in the "rotate half" layout of Qwen3: dimension i pairs with i + headDim/2.
 * Plain RoPE uses inv_freq = θ^(-2i/d). YaRN (rope_scaling.type = yarn) blends interpolated and extrapolated
 * frequencies across a ramp between the β_fast and β_slow correction dimensions, and scales cos/sin by its
 * attention factor (0.1·ln(factor) + 1 unless given), exactly as transformers' {@code _compute_yarn_parameters}.
 */
public final class RotaryEmbedding {
    private final int headDim;
    private final float[] invFreq;
    private final float attentionScaling;

    public RotaryEmbedding(Qwen3Config config) {
        this.headDim = config.headDim();
        RopeScaling s = config.ropeScaling();
        if (s != null && s.isYarn()) {
            Yarn yarn = yarn(config, s);
            this.invFreq = yarn.invFreq;
            this.attentionScaling = yarn.attentionScaling;
        } else {
            this.invFreq = plainInvFreq(config.ropeTheta(), headDim);
            this.attentionScaling = 1.0f;
        }
    }

    private static float[] plainInvFreq(double base, int dim) {
        float[] f = new float[dim / 2];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) (1.0 / Math.pow(base, (2.0 * i) / dim));
        }
        return f;
    }

    private record Yarn(float[] invFreq, float attentionScaling) {
    }

    private static Yarn yarn(Qwen3Config config, RopeScaling s) {
        double base = config.ropeTheta();
        int dim = config.headDim();
        double factor = s.factor();
        double originalMax;
        if (s.originalMaxPositionEmbeddings() != null) {
            // transformers derives the factor from the context extension when the original length is given.
            originalMax = s.originalMaxPositionEmbeddings();
            factor = config.maxPositionEmbeddings() / originalMax;
        } else {
            originalMax = config.maxPositionEmbeddings();
        }
        double attentionFactor;
        if (s.attentionFactor() != null) {
            attentionFactor = s.attentionFactor();
        } else if (s.mscale() != null && s.mscaleAllDim() != null && s.mscale() != 0 && s.mscaleAllDim() != 0) {
            attentionFactor = mscale(factor, s.mscale()) / mscale(factor, s.mscaleAllDim());
        } else {
            attentionFactor = mscale(factor, 1.0);
        }
        double low = correctionDim(s.betaFast(), dim, base, originalMax);
        double high = correctionDim(s.betaSlow(), dim, base, originalMax);
        if (s.truncate()) {
            low = Math.floor(low);
            high = Math.ceil(high);
        }
        low = Math.max(low, 0);
        high = Math.min(high, dim - 1);
        if (low == high) {
            high += 0.001;
        }
        float[] f = new float[dim / 2];
        for (int i = 0; i < f.length; i++) {
            float posFreq = (float) Math.pow(base, (2.0 * i) / dim);
            float extrapolation = 1.0f / posFreq;
            float interpolation = (float) (1.0 / (factor * posFreq));
            float ramp = (float) Math.min(1, Math.max(0, (i - low) / (high - low)));
            float extrapolationFactor = 1 - ramp;
            f[i] = interpolation * (1 - extrapolationFactor) + extrapolation * extrapolationFactor;
        }
        return new Yarn(f, (float) attentionFactor);
    }

    private static double mscale(double scale, double mscale) {
        return scale <= 1 ? 1.0 : 0.1 * mscale * Math.log(scale) + 1.0;
    }

    private static double correctionDim(double rotations, int dim, double base, double maxPositions) {
        return dim * Math.log(maxPositions / (rotations * 2 * Math.PI)) / (2 * Math.log(base));
    }

    public float attentionScaling() {
        return attentionScaling;
    }

    /** Rotates {@code heads} consecutive head vectors starting at {@code offset}, all at {@code position}. */
    public void apply(float[] x, int offset, int heads, int position) {
        int half = headDim / 2;
        float[] cos = Scratch.floats(Scratch.Use.ROPE_COS, half), sin = Scratch.floats(Scratch.Use.ROPE_SIN, half);
        for (int i = 0; i < half; i++) {
            float angle = (float) position * invFreq[i];
            cos[i] = (float) Math.cos(angle) * attentionScaling;
            sin[i] = (float) Math.sin(angle) * attentionScaling;
        }
        for (int h = 0; h < heads; h++) {
            VectorMath.rotateHalves(x, offset + h * headDim, half, cos, sin);
        }
    }
}

package io.moemesh.core.nn;

import io.moemesh.core.tensor.VectorMath;

/** y = w ⊙ x / sqrt(mean(x²) + eps), over each row of {@code dim} values (float32 throughout, as transformers). */
public record RmsNorm(float[] weight, float eps) {

    public int dim() {
        return weight.length;
    }

    /** Normalises {@code rows} consecutive rows of {@code in} into {@code out} (may be the same array). */
    public void apply(float[] in, int rows, float[] out) {
        apply(in, 0, out, 0, rows);
    }

    public void apply(float[] in, int inOffset, float[] out, int outOffset, int rows) {
        int dim = weight.length;
        for (int r = 0; r < rows; r++) {
            int i0 = inOffset + r * dim, o0 = outOffset + r * dim;
            float sumSquares = VectorMath.dot(in, i0, in, i0, dim);
            float inv = (float) (1.0 / Math.sqrt(sumSquares / dim + eps));
            VectorMath.scaleThenMultiply(in, i0, inv, weight, out, o0, dim);
        }
    }

    public float[] apply(float[] in, int rows) {
        float[] out = new float[in.length];
        apply(in, rows, out);
        return out;
    }
}

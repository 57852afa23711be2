package io.moemesh.core.nn;

import io.moemesh.core.kernel.MatMul;
import io.moemesh.core.tensor.F32Matrix;
import io.moemesh.core.tensor.Matrix;
import io.moemesh.core.tensor.WeightFormat;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.Arena;
import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The fused expert FFNs of a layer: several FFNs on their own token rows in two parallel passes give each token
 * exactly what that FFN gives the token alone, in every weight format (the many-token path takes gate and up rows in
 * spans, 300 intermediate rows making the last span and row group partial); and a batch with no local FFN is a no-op.
 */
class SwiGluMlpTest {
    private static final Arena ARENA = Arena.ofAuto();

    private static Matrix matrix(String format, int rows, int cols, SplittableRandom r) {
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) (r.nextGaussian() * 0.05);
        }
        return WeightFormat.of(format).quantize(F32Matrix.of(w, rows, cols), ARENA);
    }

    @ParameterizedTest
    @ValueSource(strings = {"stored", "bf16", "int8", "q4"})
    void fusedFfnsGiveEachTokenWhatItsFfnGivesItAlone(String format) {
        int hidden = 200, intermediate = 300;
        SplittableRandom r = new SplittableRandom(format.hashCode());
        SwiGluMlp[] mlps = new SwiGluMlp[2];
        for (int m = 0; m < mlps.length; m++) {
            mlps[m] = new SwiGluMlp(matrix(format, intermediate, hidden, r), matrix(format, intermediate, hidden, r),
                    matrix(format, hidden, intermediate, r));
        }
        int[] rowStart = {0, 5}, rows = {5, 3};
        float[] x = new float[8 * hidden];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        float[] y = new float[8 * hidden];
        SwiGluMlp.forwardAll(mlps, 2, rowStart, rows, x, y, MatMul.vector());
        for (int m = 0; m < 2; m++) {
            for (int t = rowStart[m]; t < rowStart[m] + rows[m]; t++) {
                float[] alone = mlps[m].forward(Arrays.copyOfRange(x, t * hidden, (t + 1) * hidden), 1, MatMul.vector());
                for (int i = 0; i < hidden; i++) {
                    assertEquals(Float.floatToIntBits(alone[i]), Float.floatToIntBits(y[t * hidden + i]),
                            format + " ffn " + m + " token " + t + " output " + i);
                }
            }
        }
        float[] untouched = y.clone();
        SwiGluMlp.forwardAll(new SwiGluMlp[2], 0, new int[0], new int[0], x, y, MatMul.vector());   // all remote
        assertEquals(Arrays.toString(untouched), Arrays.toString(y));
    }
}

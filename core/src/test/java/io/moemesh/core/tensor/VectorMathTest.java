package io.moemesh.core.tensor;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The activation kernels against the scalar loops they replace, on lengths that are not multiples of the lanes. */
class VectorMathTest {
    private static float[] random(int n, SplittableRandom r) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return v;
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 7, 16, 33, 64, 131})
    void rmsNormScalingAndRopeRotationAreTheScalarResultBitForBit(int n) {
        SplittableRandom r = new SplittableRandom(n);
        float[] x = random(n + 3, r), w = random(n, r);
        float s = 0.37f;
        float[] out = new float[n + 2];
        VectorMath.scaleThenMultiply(x, 3, s, w, out, 2, n);
        for (int i = 0; i < n; i++) {
            assertEquals(Float.floatToIntBits(w[i] * (x[3 + i] * s)), Float.floatToIntBits(out[2 + i]), "element " + i);
        }
        float[] head = random(5 + 2 * n, r), expected = head.clone();
        float[] cos = random(n, r), sin = random(n, r);
        for (int i = 0; i < n; i++) {
            float a = expected[5 + i], b = expected[5 + n + i];
            expected[5 + i] = a * cos[i] - b * sin[i];
            expected[5 + n + i] = b * cos[i] + a * sin[i];
        }
        VectorMath.rotateHalves(head, 5, n, cos, sin);
        for (int i = 0; i < head.length; i++) {
            assertEquals(Float.floatToIntBits(expected[i]), Float.floatToIntBits(head[i]), "rotated element " + i);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3})
    void laneSumIsTheSameEveryTimeAndCloseToTheSequentialSum(int seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] lanes = random(FloatVector.SPECIES_PREFERRED.length(), r);
        FloatVector v = FloatVector.fromArray(FloatVector.SPECIES_PREFERRED, lanes, 0);
        float first = VectorMath.sumLanes(v);
        double sequential = 0, magnitude = 0;
        for (float lane : lanes) {
            sequential += lane;
            magnitude += Math.abs(lane);
        }
        for (int i = 0; i < 20_000; i++) {   // long enough for the JIT to compile it: the answer must not change
            assertEquals(Float.floatToIntBits(first), Float.floatToIntBits(VectorMath.sumLanes(v)));
        }
        assertEquals(sequential, first, 1e-6 * magnitude);
    }
}

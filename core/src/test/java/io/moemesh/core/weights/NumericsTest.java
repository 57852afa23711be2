package io.moemesh.core.weights;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/** float → e4m3 against the slow definition: the nearest of e4m3's 254 finite values, ties to the even code. */
class NumericsTest {
    /** The definition, by search: the finite code nearest |f| (ties to even), saturating at 448, with f's sign. */
    private static byte nearestE4m3(float f) {
        float a = Math.abs(f);
        int best = 0;
        for (int code = 1; code <= 0x7E; code++) {
            float d = Math.abs(Numerics.e4m3ToFloat((byte) code) - a), bestD = Math.abs(Numerics.e4m3ToFloat((byte) best) - a);
            if (d < bestD || (d == bestD && (code & 1) == 0)) {
                best = code;
            }
        }
        return (byte) (Float.floatToRawIntBits(f) < 0 ? best | 0x80 : best);
    }

    @Test
    void everyE4m3ValueComesBackAsItsByte() {
        for (int b = 0; b < 256; b++) {
            if ((b & 0x7F) != 0x7F) {
                assertEquals((byte) b, Numerics.floatToE4m3(Numerics.e4m3ToFloat((byte) b)), "byte " + b);
            }
        }
    }

    @Test
    void midpointsGoToTheEvenCodeAndTheRestToTheNearest() {
        for (int code = 0; code < 0x7E; code++) {
            float low = Numerics.e4m3ToFloat((byte) code), high = Numerics.e4m3ToFloat((byte) (code + 1));
            float mid = (low + high) / 2;   // exact: a float has room for e4m3's mantissa plus one bit
            byte even = (byte) ((code & 1) == 0 ? code : code + 1);
            assertEquals(even, Numerics.floatToE4m3(mid), "midpoint of codes " + code + " and " + (code + 1));
            assertEquals((byte) (even | 0x80), Numerics.floatToE4m3(-mid));
            assertEquals((byte) code, Numerics.floatToE4m3(Math.nextDown(mid)));
            assertEquals((byte) (code + 1), Numerics.floatToE4m3(Math.nextUp(mid)));
        }
        SplittableRandom random = new SplittableRandom(3);
        for (int i = 0; i < 200_000; i++) {
            // magnitudes from below e4m3's smallest subnormal (2^-9) to past its largest value (448)
            float f = (float) ((random.nextBoolean() ? 1 : -1) * Math.pow(2, -12 + 22 * random.nextDouble()));
            assertEquals(nearestE4m3(f), Numerics.floatToE4m3(f), "float " + f);
        }
    }

    @Test
    void beyondTheRangeSaturatesAndNaNStaysNaN() {
        assertEquals((byte) 0x7E, Numerics.floatToE4m3(460f));
        assertEquals((byte) 0x7E, Numerics.floatToE4m3(1e30f));
        assertEquals((byte) 0xFE, Numerics.floatToE4m3(Float.NEGATIVE_INFINITY));
        assertTrue(Float.isNaN(Numerics.e4m3ToFloat(Numerics.floatToE4m3(Float.NaN))));
        assertEquals((byte) 0x80, Numerics.floatToE4m3(-0f));
        assertEquals((byte) 0, Numerics.floatToE4m3(Float.MIN_VALUE));
    }
}

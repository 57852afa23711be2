package io.moemesh.core.wire;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

class ActivationCodecTest {
    private static float[] random(int n) {
        SplittableRandom r = new SplittableRandom(n);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (r.nextGaussian() * 10);
        }
        return v;
    }

    @Test
    void f32RoundTripIsExact() {
        float[] v = random(3 * 77);
        byte[] bytes = ActivationCodec.encode(v, WireDType.F32);
        assertEquals(v.length * 4, bytes.length);
        assertArrayEquals(v, ActivationCodec.decode(ByteBuffer.wrap(bytes), WireDType.F32, 3, 77));
    }

    @Test
    void bf16HalvesTheBytesWithinItsPrecision() {
        float[] v = random(5 * 64);
        byte[] bytes = ActivationCodec.encode(v, WireDType.BF16);
        assertEquals(v.length * 2, bytes.length);
        float[] back = ActivationCodec.decode(ByteBuffer.wrap(bytes), WireDType.BF16, 5, 64);
        for (int i = 0; i < v.length; i++) {
            assertEquals(v[i], back[i], Math.abs(v[i]) * (1.0 / 256), "bf16 keeps 8 significant bits");
        }
    }

    @Test
    void aByteLengthThatDisagreesWithTheShapeIsNamed() {
        byte[] bytes = ActivationCodec.encode(random(10), WireDType.F32);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ActivationCodec.decode(ByteBuffer.wrap(bytes), WireDType.F32, 2, 6));
        assertTrue(e.getMessage().contains("needs 48 bytes, got 40"), e.getMessage());
    }
}

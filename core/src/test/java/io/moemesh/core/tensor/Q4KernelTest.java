package io.moemesh.core.tensor;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Q4KernelTest {
    @Test
    void modeIsChosenByItsProperty() {
        assertTrue(Q4Kernel.choose("subnormal"));
        assertFalse(Q4Kernel.choose("convert"));
        assertTrue(Q4Kernel.choose(" Subnormal "));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Q4Kernel.choose("fast"));
        assertTrue(e.getMessage().contains(Q4Kernel.PROPERTY) && e.getMessage().contains("fast"), e.getMessage());
    }

    /** The probe measures something: a positive, finite ratio of two timings (its verdict is the machine's). */
    @Test
    void probeTimesBothKindsOfOperand() {
        double ratio = Q4Kernel.subnormalSlowdown();
        assertTrue(ratio > 0 && Double.isFinite(ratio), "ratio " + ratio);
        Q4Kernel.choose("auto");
    }

    @Test
    void scaledInputsAreExactAndPadded() {
        float[] x = {1f, -3.5f, 0x1p-60f, 0f, 7e5f};
        float[] in = new float[2 * 32];
        assertTrue(Q4Kernel.scaleInputs(x, 0, x.length, 32, in, 0));
        for (int c = 0; c < 32; c++) {
            float v = c < x.length ? x[c] : 0;
            assertTrue(in[c] == v * Q4Kernel.TOP_INPUT_SCALE && in[32 + c] == v * Q4Kernel.NEXT_INPUT_SCALE, "column " + c);
            assertTrue(in[c] / Q4Kernel.TOP_INPUT_SCALE == v, "exact at column " + c);
        }
        x[4] = Float.NaN;
        assertFalse(Q4Kernel.scaleInputs(x, 0, x.length, 32, in, 0), "NaN takes the other path");
    }
}

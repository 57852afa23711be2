package io.moemesh.core.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

import java.util.Arrays;
import java.util.Locale;

import static io.moemesh.core.tensor.QuantBlocks.F;

/**
 * How q4's decode kernel ({@link Q4Matrix#blockStreamed}) reads a nibble u masked in place (bits 19..22 or 15..18 of
 * a lane) as the float it multiplies, chosen once per process:
 * <ul>
 *   <li><b>subnormal</b>: the masked bits read as a float as they are, the subnormal u·2^-130 or u·2^-134, times
 *       the input scaled by 2^100 or 2^104. No operation at all: a mask and a multiply-add per L weights.</li>
 *   <li><b>convert</b>: the masked bits converted to float, u·2^19 or u·2^15, times the input scaled by 2^-49 or
 *       2^-45: one operation more.</li>
 * </ul>
 * Either way the exact product is u·2^-30·x, which is what every other path multiplies ({@link Q4Matrix#value}),
 * and a fused multiply-add rounds only its exact result: the sums are the same floats. Subnormal operands cost
 * nothing on the AMD Zen 5 cores here (a microbenchmark of the kernel's loop from cache: 46 GB/s against 37 with the
 * exponent set by a bitwise select), but many Intel cores take microcode assists on them, ~100 cycles each. So by
 * default ({@code -Dmoemesh.q4.kernel=auto}) a probe times scalar multiply-adds on both kinds of operand once and
 * takes subnormal unless they are 1.5x slower; {@code subnormal} or {@code convert} forces one.
 */
final class Q4Kernel {
    static final String PROPERTY = "moemesh.q4.kernel";
    private static final System.Logger LOG = System.getLogger(Q4Kernel.class.getName());
    /** Whether the kernel multiplies subnormal values (else converted ones). */
    static final boolean SUBNORMAL = choose(System.getProperty(PROPERTY, "auto"));
    /** The inputs' scales for the windows at bits 19..22 and 15..18: u·2^-130·2^100 = u·2^19·2^-49 = u·2^-30. */
    static final float TOP_INPUT_SCALE = SUBNORMAL ? 0x1p100f : 0x1p-49f, NEXT_INPUT_SCALE = 16 * TOP_INPUT_SCALE;
    /** q4's two windows' input scales, in the order of its copies. */
    private static final float[] Q4_INPUT_SCALES = {TOP_INPUT_SCALE, NEXT_INPUT_SCALE};

    private Q4Kernel() {
    }

    /**
     * x[xOffset, xOffset + cols) times {@link #TOP_INPUT_SCALE} into in[at, at + width) and times
     * {@link #NEXT_INPUT_SCALE} into in[at + width, at + 2·width), zero-padded to width; false (and nothing to use)
     * unless both products are exact: for the subnormal kernel every |x| below 2^23 (x·2^104 < 2^127), for the
     * converting one every nonzero |x| from 2^-77 (x·2^-49 ≥ 2^-126), and no NaN.
     */
    static boolean scaleInputs(float[] x, int xOffset, int cols, int width, float[] in, int at) {
        return scaleInputs(x, xOffset, cols, width, Q4_INPUT_SCALES, in, at);
    }

    /**
     * x[xOffset, xOffset + cols) times each of {@code scales} (one to three powers of two) into in[at + j·width ...),
     * zero-padded to width: the scaled copies of the inputs a kernel that reads its values in windows multiplies
     * (q4's two, q6's three: {@link Q6Matrix}; fp8's one: {@link Fp8PanelMatrix}). False (and nothing to use) where
     * some product would not be exact: an |x| that the largest scale takes to 2^127 or past, a NaN, or a nonzero |x|
     * that the smallest takes below float's normal range.
     */
    static boolean scaleInputs(float[] x, int xOffset, int cols, int width, float[] scales, float[] in, int at) {
        if (scales.length < 1 || scales.length > 3) {
            throw new IllegalArgumentException("one to three scaled copies, not " + scales.length);
        }
        float largestScale = 0, smallestScale = Float.POSITIVE_INFINITY;
        for (float scale : scales) {
            largestScale = Math.max(largestScale, scale);
            smallestScale = Math.min(smallestScale, scale);
        }
        float largestInput = largestScale > 1 ? 0x1p127f / largestScale : Float.POSITIVE_INFINITY;
        float smallestInput = smallestScale < 1 ? Float.MIN_NORMAL / smallestScale : 0;
        // the copies written out, not in a loop over the scales: that loop cost q4 5-9% at batch 1 (bench kernels)
        float first = scales[0], second = scales[scales.length > 1 ? 1 : 0], third = scales[scales.length - 1];
        boolean two = scales.length > 1, three = scales.length == 3;
        FloatVector largest = FloatVector.zero(F), smallest = FloatVector.broadcast(F, Float.POSITIVE_INFINITY);
        int c = 0;
        for (int bound = F.loopBound(cols); c < bound; c += F.length()) {
            FloatVector v = FloatVector.fromArray(F, x, xOffset + c), size = v.abs();
            largest = largest.max(size);
            smallest = smallest.min(size.blend(Float.POSITIVE_INFINITY, size.eq(0)));
            v.mul(first).intoArray(in, at + c);
            if (two) {
                v.mul(second).intoArray(in, at + width + c);
            }
            if (three) {
                v.mul(third).intoArray(in, at + 2 * width + c);
            }
        }
        float max = largest.reduceLanes(VectorOperators.MAX), min = smallest.reduceLanes(VectorOperators.MIN);
        for (; c < cols; c++) {
            float v = x[xOffset + c];
            max = Math.max(max, Math.abs(v));
            min = v == 0 ? min : Math.min(min, Math.abs(v));
            for (int j = 0; j < scales.length; j++) {
                in[at + j * width + c] = v * scales[j];
            }
        }
        for (int j = 0; j < scales.length; j++) {
            Arrays.fill(in, at + j * width + cols, at + j * width + width, 0f);
        }
        return max < largestInput && min >= smallestInput;
    }

    static boolean choose(String mode) {
        return switch (mode.trim().toLowerCase(Locale.ROOT)) {
            case "subnormal" -> true;
            case "convert" -> false;
            case "auto" -> {
                double ratio = subnormalSlowdown();
                boolean subnormal = ratio < 1.5;
                LOG.log(System.Logger.Level.INFO, String.format(Locale.ROOT, "q4 decode kernel: %s values"
                                + " (multiply-adds on subnormal operands took %.2fx the time of normal ones;"
                                + " -D%s=subnormal|convert overrides)",
                        subnormal ? "subnormal" : "converted", ratio, PROPERTY));
                yield subnormal;
            }
            default -> throw new IllegalArgumentException(
                    "-D" + PROPERTY + " must be subnormal, convert or auto, got '" + mode + "'");
        };
    }

    /**
     * The time of fused multiply-adds with one subnormal operand over the time with normal ones: scalar, in four
     * independent chains, the best of several rounds once the JIT has compiled the loop (a few milliseconds).
     */
    static double subnormalSlowdown() {
        int n = 4096;
        float[] subnormal = new float[n], normal = new float[n], x = new float[n];
        for (int i = 0; i < n; i++) {
            subnormal[i] = Float.intBitsToFloat((i % 15 + 1) << 19);
            normal[i] = (i % 15 + 1) * 0x1p-30f;
            x[i] = 1 + i * 0x1p-13f;
        }
        long bestSubnormal = Long.MAX_VALUE, bestNormal = Long.MAX_VALUE;
        float sink = 0;
        for (int round = 0; round < 60; round++) {
            long t0 = System.nanoTime();
            sink += chains(subnormal, x, 0x1p100f);
            long t1 = System.nanoTime();
            sink += chains(normal, x, 1f);
            long t2 = System.nanoTime();
            if (round >= 20) {
                bestSubnormal = Math.min(bestSubnormal, t1 - t0);
                bestNormal = Math.min(bestNormal, t2 - t1);
            }
        }
        SINK = sink;
        return (double) bestSubnormal / Math.max(1, bestNormal);
    }

    /** Keeps the probe's sums alive. */
    private static volatile float SINK;

    private static float chains(float[] values, float[] x, float scale) {
        float a = 0, b = 0, c = 0, d = 0;
        for (int i = 0; i < values.length; i += 4) {
            a = Math.fma(values[i], x[i] * scale, a);
            b = Math.fma(values[i + 1], x[i + 1] * scale, b);
            c = Math.fma(values[i + 2], x[i + 2] * scale, c);
            d = Math.fma(values[i + 3], x[i + 3] * scale, d);
        }
        return a + b + c + d;
    }
}

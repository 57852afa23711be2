package io.moemesh.core.tensor;

import java.lang.foreign.Arena;
import java.util.Arrays;
import java.util.Locale;

/**
 * How weights are held in memory once loaded ({@code --weights}): as the checkpoint stores them, or quantized
 * at load to int8 or 4 bits. Decoding reads every active weight once per token, so fewer bytes per weight is
 * proportionally more tokens per second on a memory-bound CPU.
 */
public enum WeightFormat {
    /** As the checkpoint stores them: bf16 for Qwen's releases, fp8 blocks for the -FP8 ones (row by row). */
    STORED,
    /** {@link Bf16PanelMatrix}: the checkpoint's bf16 values (others rounded to bf16), laid out for the kernels. */
    BF16,
    /** {@link Int8Matrix}: 8.5 bits per weight. */
    INT8,
    /** {@link Q4Matrix}: 4.5 bits per weight. */
    Q4,
    /**
     * {@link Q4A8Matrix}: q4's weights, multiplied with the inputs quantized to int8 per block of 32 as llama.cpp's
     * Q4_0 is: 16-bit integer arithmetic, faster than q4's float kernels, with the inputs' rounding on top. Takes
     * Q4_0 and Q4_K levels as they are (Q4_K with its minimum per block, as q4 does).
     */
    Q4A8,
    /**
     * Each tensor in the fastest of the layouts above that keeps its values, for GGUF files as published (Q4_K_M is
     * Q4_K with Q6_K in some tensors): bf16 into bf16 panels, Q8_0 into int8 and Q4_0 into q4, exactly; Q4_K into q4
     * and Q5_K into int8 with a minimum per block ({@link BlockOffsetMatrix}: every level kept); Q6_K into q6 panels
     * ({@link Q6Matrix}: every level and scale kept, 6.625 bits a weight); an FP8 checkpoint's e4m3 blocks into fp8
     * panels ({@link Fp8PanelMatrix}: every byte and scale kept); f32 and f16 as stored.
     */
    AUTO;

    public static WeightFormat of(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "stored" -> STORED;
            case "bf16" -> BF16;
            case "int8" -> INT8;
            case "q4" -> Q4;
            case "q4a8" -> Q4A8;
            case "auto" -> AUTO;
            default -> throw new IllegalArgumentException("unknown weight format '" + name + "' (known: "
                    + Arrays.stream(values()).map(WeightFormat::toString).toList() + ")");
        };
    }

    /** The matrix in this format; quantized copies live in {@code arena}, off the heap. */
    public Matrix quantize(Matrix m, Arena arena) {
        return switch (this) {
            case STORED -> m;
            case BF16 -> m instanceof Bf16PanelMatrix ? m : Bf16PanelMatrix.of(m, arena);
            case INT8 -> switch (m) {
                case Int8Matrix q -> q;
                case Q8Matrix q -> Int8Matrix.repack(q, arena);   // the same levels, laid out for our kernel
                case GgmlKQuantMatrix.WithMinimums k -> BlockOffsetMatrix.int8(k, arena);   // the same levels again
                default -> Int8Matrix.quantize(m, arena);
            };
            case Q4 -> switch (m) {
                case Q4Matrix q -> q;
                case GgmlQ4Matrix q -> Q4Matrix.repack(q, arena);   // the same levels, laid out for our kernel
                case GgmlKQuantMatrix.WithMinimums k when k.levelBits() == 4 -> BlockOffsetMatrix.q4(k, arena);
                default -> Q4Matrix.quantize(m, arena);
            };
            case Q4A8 -> switch (m) {
                case Q4A8Matrix q -> q;
                case GgmlQ4Matrix q -> Q4A8Matrix.repack(q, arena);   // the same levels, laid out for our kernel
                case GgmlKQuantMatrix.WithMinimums k when k.levelBits() == 4 -> BlockOffsetMatrix.q4a8(k, arena);
                default -> Q4A8Matrix.quantize(m, arena);
            };
            case AUTO -> switch (m) {
                case Bf16Matrix b -> BF16.quantize(b, arena);
                case Q8Matrix q -> INT8.quantize(q, arena);
                case GgmlQ4Matrix q -> Q4.quantize(q, arena);
                case GgmlKQuantMatrix.WithMinimums k when k.levelBits() == 4 -> Q4.quantize(k, arena);
                case GgmlKQuantMatrix.Q6K k -> Q6Matrix.repack(k, arena);
                case GgmlKQuantMatrix k -> INT8.quantize(k, arena);
                case Fp8BlockMatrix f when Fp8PanelMatrix.fits(f) -> Fp8PanelMatrix.repack(f, arena);
                default -> m;
            };
        };
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}

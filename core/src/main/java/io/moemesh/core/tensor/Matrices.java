package io.moemesh.core.tensor;

import io.moemesh.core.config.Qwen3Config;
import io.moemesh.core.weights.Checkpoint;
import io.moemesh.core.weights.CheckpointException;
import io.moemesh.core.weights.DType;
import io.moemesh.core.weights.FreshMemory;
import io.moemesh.core.weights.LoadMode;
import io.moemesh.core.weights.TensorSlice;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** Opens checkpoint tensors as {@link Matrix} views in their stored format, checking shapes against the config. */
public final class Matrices {
    private static final System.Logger LOG = System.getLogger(Matrices.class.getName());
    /** The files this JVM has said of, once each, that their K-quants or FP8 blocks kept as stored are slow. */
    private static final Set<Path> ROW_BY_ROW_HINTED = ConcurrentHashMap.newKeySet();

    private Matrices() {
    }

    /** The tensor as a matrix in the format the checkpoint's {@link WeightPlan} gives its role. */
    public static Matrix load(Checkpoint checkpoint, String name, int rows, int cols) {
        WeightFormat format = checkpoint.plan().formatFor(name);
        if (format == WeightFormat.STORED || checkpoint.mode() == LoadMode.MMAP) {
            Matrix m = stored(checkpoint, name, rows, cols);
            if (format == WeightFormat.STORED && (m instanceof GgmlKQuantMatrix || m instanceof Fp8BlockMatrix)
                    && ROW_BY_ROW_HINTED.add(checkpoint.dir())) {
                LOG.log(System.Logger.Level.WARNING, "{0} holds {1} weights, which run in their own layout, dequantized row "
                        + "by row: several times slower than our row panels. --weights auto keeps every level and scale "
                        + "of Q4_K, Q5_K, Q6_K and FP8 in the panels: see Weight formats in the README",
                        checkpoint.dir().getFileName(), m.format());
            }
            return format.quantize(m, checkpoint.arena());
        }
        // Converted from a copy of the stored bytes in native memory, dropped as soon as it is converted: a copy living
        // as long as the checkpoint would sit beside the converted one (bf16 Qwen3-30B-A3B held as q4: 61 GB more than
        // the 17 needed). And not from the file's mapping: the Vector API's memory accesses (the K-quants' dequantizers
        // read byte vectors) would see mapped segments beside native ones, and C2 then compiles the kernels' accesses
        // for both. An int8 head converted from a GGUF's Q6_K through the mapping decoded at 11 GB/s instead of 30, the
        // same matrix copied elsewhere too: PrintInlining's one difference was fromMemorySegment's type profile.
        TensorSlice mapped = checkpoint.tensor(name, LoadMode.MMAP).expectShape(rows, cols);
        try (Arena scratch = Arena.ofShared()) {
            MemorySegment copy = FreshMemory.allocate(scratch, mapped.data().byteSize(), 64).copyFrom(mapped.data());
            Matrix source = over(checkpoint, new TensorSlice(mapped.name(), mapped.dtype(), mapped.shape(), copy,
                    mapped.file()), rows, cols, LoadMode.MMAP);
            Matrix converted = format.quantize(source, checkpoint.arena());
            // already in the format (int8 from a Q8_0 GGUF): then it is the stored bytes that stay, read into memory
            return converted != source ? converted : stored(checkpoint, name, rows, cols);
        }
    }

    /** The tensor as stored (embedding rows are read this way whatever the plan). */
    public static Matrix stored(Checkpoint checkpoint, String name, int rows, int cols) {
        return stored(checkpoint, name, rows, cols, checkpoint.mode());
    }

    private static Matrix stored(Checkpoint checkpoint, String name, int rows, int cols, LoadMode how) {
        return over(checkpoint, checkpoint.tensor(name, how).expectShape(rows, cols), rows, cols, how);
    }

    /** The matrix over {@code t}'s bytes in its stored format ({@code how}: where an fp8 tensor's scales are read). */
    private static Matrix over(Checkpoint checkpoint, TensorSlice t, int rows, int cols, LoadMode how) {
        return switch (t.dtype()) {
            case BF16 -> new Bf16Matrix(t.data(), rows, cols);
            case F32 -> new F32Matrix(t.data(), rows, cols);
            case F16 -> new F16Matrix(t.data(), rows, cols);
            case F8_E4M3 -> fp8(checkpoint, t, rows, cols, how);
            // GGUF's ggml block types, in their native layouts
            case Q8_0 -> Q8Matrix.ggml(t.data(), rows, cols);
            case Q4_0 -> GgmlQ4Matrix.ggml(t.data(), rows, cols);
            case Q4_K, Q5_K, Q6_K -> GgmlKQuantMatrix.of(t.dtype(), t.data(), rows, cols);
            default -> throw new CheckpointException(t.describe() + ": dtype " + t.dtype() + " is not a weight format we compute with");
        };
    }

    private static Matrix fp8(Checkpoint checkpoint, TensorSlice t, int rows, int cols, LoadMode how) {
        Qwen3Config config = checkpoint.config();
        int br = config.fp8BlockRows() != null ? config.fp8BlockRows() : 128;
        int bc = config.fp8BlockCols() != null ? config.fp8BlockCols() : 128;
        String scaleName = t.name() + "_scale_inv";
        if (!checkpoint.contains(scaleName)) {
            throw new CheckpointException(t.file() + ": FP8 tensor '" + t.name() + "' has no block scales '" + scaleName + "'");
        }
        TensorSlice s = checkpoint.tensor(scaleName, how)
                .expectShape((rows + br - 1) / br, (cols + bc - 1) / bc);
        if (s.dtype() != DType.F32 && s.dtype() != DType.BF16) {
            throw new CheckpointException(s.describe() + ": block scales must be F32 or BF16");
        }
        return new Fp8BlockMatrix(t.data(), rows, cols, s.toFloats(), br, bc);
    }

    /** A 1-D weight (norms) as floats on the heap: small, and read on every token. */
    public static float[] vector(Checkpoint checkpoint, String name, int length) {
        return checkpoint.tensor(name).expectShape(length).toFloats();
    }
}

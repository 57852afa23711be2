package io.moemesh.core.weights.gguf;

import io.moemesh.core.weights.CheckpointException;
import io.moemesh.core.weights.DType;
import io.moemesh.core.weights.FreshMemory;
import io.moemesh.core.weights.LoadMode;
import io.moemesh.core.weights.Numerics;
import io.moemesh.core.weights.TensorSlice;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One GGUF file (llama.cpp's format, versions 2 and 3): magic {@code GGUF}, version, tensor and metadata counts,
 * the metadata key/values, the tensor infos, then the tensor data at {@code general.alignment} (default 32).
 * The whole file is memory-mapped once; opening parses the header and checks every tensor lies inside the file,
 * and a tensor's pages are touched only when a role reads it.
 *
 * <p>Metadata values are Java objects: every integer type as {@link Long} (unsigned ones read unsigned),
 * FLOAT32 as {@link Float}, FLOAT64 as {@link Double}, BOOL as {@link Boolean}, STRING as {@link String}, and
 * arrays as unmodifiable {@link List}s of those.
 */
public final class GgufFile {
    static final int MAGIC = 0x46554747;   // "GGUF" read little-endian
    public static final int DEFAULT_ALIGNMENT = 32;

    /** ggml type ids of the tensor types we compute with; others are refused by name. */
    private static final Map<Integer, DType> TYPES = Map.of(0, DType.F32, 1, DType.F16, 30, DType.BF16,
            8, DType.Q8_0, 2, DType.Q4_0, 12, DType.Q4_K, 13, DType.Q5_K, 14, DType.Q6_K);
    private static final Map<Integer, String> UNSUPPORTED_TYPES = Map.ofEntries(Map.entry(3, "Q4_1"),
            Map.entry(6, "Q5_0"), Map.entry(7, "Q5_1"), Map.entry(9, "Q8_1"), Map.entry(10, "Q2_K"),
            Map.entry(11, "Q3_K"), Map.entry(15, "Q8_K"), Map.entry(16, "IQ2_XXS"), Map.entry(17, "IQ2_XS"),
            Map.entry(18, "IQ3_XXS"), Map.entry(19, "IQ1_S"), Map.entry(20, "IQ4_NL"), Map.entry(21, "IQ3_S"),
            Map.entry(22, "IQ2_S"), Map.entry(23, "IQ4_XS"), Map.entry(24, "I8"), Map.entry(25, "I16"),
            Map.entry(26, "I32"), Map.entry(27, "I64"), Map.entry(28, "F64"), Map.entry(29, "IQ1_M"),
            Map.entry(34, "TQ1_0"), Map.entry(35, "TQ2_0"), Map.entry(39, "MXFP4"));

    /** ggml type id of a dtype, for writers. */
    public static int typeId(DType dtype) {
        return TYPES.entrySet().stream().filter(e -> e.getValue() == dtype).mapToInt(Map.Entry::getKey).findFirst()
                .orElseThrow(() -> new IllegalArgumentException(dtype + " has no GGUF tensor type here"));
    }

    /**
     * @param dims   GGUF order: dims[0] = ne0, the fastest-varying (columns)
     * @param offset from the start of the data section
     */
    public record TensorInfo(String name, DType dtype, long[] dims, long offset, long byteSize) {
        public long numel() {
            long n = 1;
            for (long d : dims) {
                n *= d;
            }
            return n;
        }

        /** The shape row-major, outermost first, as safetensors and PyTorch write it: dims reversed. */
        public long[] shape() {
            long[] s = new long[dims.length];
            for (int i = 0; i < dims.length; i++) {
                s[i] = dims[dims.length - 1 - i];
            }
            return s;
        }
    }

    private final Path path;
    private final int version;
    private final Map<String, Object> metadata;
    private final Map<String, TensorInfo> tensors;
    private final MemorySegment file;
    private final long dataStart;
    private final Arena arena;

    private GgufFile(Path path, int version, Map<String, Object> metadata, Map<String, TensorInfo> tensors,
                     MemorySegment file, long dataStart, Arena arena) {
        this.path = path;
        this.version = version;
        this.metadata = metadata;
        this.tensors = tensors;
        this.file = file;
        this.dataStart = dataStart;
        this.arena = arena;
    }

    /** Maps the file (the mapping lives as long as {@code arena}) and parses its header. */
    public static GgufFile open(Path path, Arena arena) {
        MemorySegment file;
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            file = channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size(), arena);
        } catch (IOException e) {
            throw new CheckpointException(path + ": cannot open: " + e.getMessage(), e);
        }
        Cursor in = new Cursor(file, path);
        in.need(8, "the GGUF magic and version");
        int magic = in.u32();
        if (magic != MAGIC) {
            throw new CheckpointException(path + ": not a GGUF file (magic " + hexBytes(file, 4)
                    + ", expected 47 47 55 46 \"GGUF\")");
        }
        int version = in.u32();
        if (version != 2 && version != 3) {
            throw new CheckpointException(path + ": GGUF version " + Integer.toUnsignedString(version)
                    + " is not supported (2 and 3 are" + (Integer.reverseBytes(version) <= 3 ? "; this looks like a big-endian file" : "") + ")");
        }
        long tensorCount = in.count("tensor count");
        long kvCount = in.count("metadata count");
        Map<String, Object> metadata = new LinkedHashMap<>();
        for (long i = 0; i < kvCount; i++) {
            String key = in.string("metadata key " + i);
            int type = in.u32();
            metadata.put(key, in.value(type, "metadata '" + key + "'"));
        }
        long alignment = DEFAULT_ALIGNMENT;
        Object a = metadata.get("general.alignment");
        if (a != null) {
            if (!(a instanceof Long l) || l <= 0 || Long.bitCount(l) != 1) {
                throw new CheckpointException(path + ": general.alignment " + a + " is not a power of two");
            }
            alignment = l;
        }
        List<TensorInfo> infos = new ArrayList<>();
        for (long i = 0; i < tensorCount; i++) {
            String name = in.string("tensor info " + i);
            String where = path + ": tensor '" + name + "'";
            int nDims = in.u32();
            if (nDims < 1 || nDims > 4) {
                throw new CheckpointException(where + ": " + Integer.toUnsignedString(nDims) + " dimensions (GGUF has 1 to 4)");
            }
            long[] dims = new long[nDims];
            long numel = 1;
            for (int d = 0; d < nDims; d++) {
                dims[d] = in.u64();
                if (dims[d] < 0) {
                    throw new CheckpointException(where + ": dimension " + d + " is " + Long.toUnsignedString(dims[d]));
                }
                numel = Math.multiplyExact(numel, dims[d]);
            }
            int typeId = in.u32();
            DType dtype = TYPES.get(typeId);
            if (dtype == null) {
                String known = UNSUPPORTED_TYPES.get(typeId);
                throw new CheckpointException(where + ": " + (known != null
                        ? "ggml type " + known + " (" + typeId + ") is not supported"
                        : "unknown ggml tensor type " + Integer.toUnsignedString(typeId))
                        + " (supported: " + TYPES.values().stream().map(DType::name).sorted().toList() + ")");
            }
            if (dims[0] % dtype.blockSize() != 0) {
                throw new CheckpointException(where + ": " + dtype + " rows of " + dims[0]
                        + " values are not whole blocks of " + dtype.blockSize());
            }
            long offset = in.u64();
            if (offset < 0 || offset % alignment != 0) {
                throw new CheckpointException(where + ": data offset " + Long.toUnsignedString(offset)
                        + " is not a multiple of the alignment " + alignment);
            }
            infos.add(new TensorInfo(name, dtype, dims, offset, dtype.byteSize(numel)));
        }
        long dataStart = (in.position() + alignment - 1) / alignment * alignment;
        long dataBytes = Math.max(0, file.byteSize() - dataStart);
        Map<String, TensorInfo> tensors = new LinkedHashMap<>();
        for (TensorInfo t : infos) {
            if (t.offset() + t.byteSize() > dataBytes || t.offset() + t.byteSize() < 0) {
                throw new CheckpointException(path + ": tensor '" + t.name() + "' lies at bytes [" + t.offset() + ", "
                        + (t.offset() + t.byteSize()) + ") of the data, outside the file (" + dataBytes
                        + " data bytes): truncated file or bad offsets");
            }
            if (tensors.put(t.name(), t) != null) {
                throw new CheckpointException(path + ": tensor '" + t.name() + "' is listed twice");
            }
        }
        return new GgufFile(path, version, Collections.unmodifiableMap(metadata), Collections.unmodifiableMap(tensors),
                file, dataStart, arena);
    }

    private static String hexBytes(MemorySegment s, int n) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < Math.min(n, s.byteSize()); i++) {
            b.append(i == 0 ? "" : " ").append(String.format("%02x", s.get(ValueLayout.JAVA_BYTE, i)));
        }
        return b.toString();
    }

    public Path path() {
        return path;
    }

    public int version() {
        return version;
    }

    public Map<String, Object> metadata() {
        return metadata;
    }

    public Map<String, TensorInfo> tensors() {
        return tensors;
    }

    public boolean contains(String name) {
        return tensors.containsKey(name);
    }

    public TensorInfo info(String name) {
        TensorInfo t = tensors.get(name);
        if (t == null) {
            throw new CheckpointException(path + ": tensor '" + name + "' not found");
        }
        return t;
    }

    /** Bytes {@code [from, from + length)} of a tensor's data, mapped or copied off-heap. */
    public MemorySegment data(TensorInfo t, long from, long length, LoadMode mode) {
        MemorySegment slice = file.asSlice(dataStart + t.offset() + from, length);
        if (mode == LoadMode.MMAP) {
            return slice;
        }
        MemorySegment copy = FreshMemory.allocate(arena, length, 64);   // fresh pages, first touched by the copy
        MemorySegment.copy(slice, 0, copy, 0, length);
        return copy.asSlice(0, length);
    }

    /** The whole tensor with its shape in row-major order (see {@link TensorInfo#shape()}). */
    public TensorSlice tensor(String name, LoadMode mode) {
        TensorInfo t = info(name);
        return new TensorSlice(name, t.dtype(), t.shape(), data(t, 0, t.byteSize(), mode), path.toString());
    }

    // ---- typed metadata access, with errors naming the file and the key

    public boolean has(String key) {
        return metadata.containsKey(key);
    }

    public String string(String key) {
        return require(key, String.class, "a string");
    }

    public long integer(String key) {
        return require(key, Long.class, "an integer");
    }

    public long integer(String key, long fallback) {
        return has(key) ? integer(key) : fallback;
    }

    public double number(String key) {
        Object v = metadata.get(key);
        if (v instanceof Float f) {
            // Converters write config.json's decimals (1e-06) as FLOAT32; the shortest decimal that reads back as
            // the same float is that decimal again, so the config equals the one parsed from config.json.
            return Double.parseDouble(Float.toString(f));
        }
        if (v instanceof Double d) {
            return d;
        }
        if (v instanceof Long l) {
            return l;
        }
        throw missingOrWrong(key, v, "a number");
    }

    public double number(String key, double fallback) {
        return has(key) ? number(key) : fallback;
    }

    public boolean bool(String key, boolean fallback) {
        return has(key) ? require(key, Boolean.class, "a boolean") : fallback;
    }

    @SuppressWarnings("unchecked")
    public List<String> strings(String key) {
        List<?> list = require(key, List.class, "an array of strings");
        for (Object o : list) {
            if (!(o instanceof String)) {
                throw new CheckpointException(path + ": metadata '" + key + "' must be an array of strings");
            }
        }
        return (List<String>) list;
    }

    public int[] ints(String key) {
        List<?> list = require(key, List.class, "an array of integers");
        int[] out = new int[list.size()];
        for (int i = 0; i < out.length; i++) {
            if (!(list.get(i) instanceof Long l) || l != (int) (long) l) {
                throw new CheckpointException(path + ": metadata '" + key + "' must be an array of 32-bit integers");
            }
            out[i] = (int) (long) l;
        }
        return out;
    }

    private <T> T require(String key, Class<T> type, String what) {
        Object v = metadata.get(key);
        if (!type.isInstance(v)) {
            throw missingOrWrong(key, v, what);
        }
        return type.cast(v);
    }

    private CheckpointException missingOrWrong(String key, Object v, String what) {
        return new CheckpointException(path + ": metadata '" + key + "' " + (v == null ? "is missing"
                : "must be " + what + ", got " + (v instanceof List<?> l ? "an array of " + l.size() : v.getClass().getSimpleName() + " " + v)));
    }

    /** Reads the header with a bounds check before every read, so a truncated file says what it was reading. */
    private static final class Cursor {
        private static final int UINT8 = 0, INT8 = 1, UINT16 = 2, INT16 = 3, UINT32 = 4, INT32 = 5, FLOAT32 = 6,
                BOOL = 7, STRING = 8, ARRAY = 9, UINT64 = 10, INT64 = 11, FLOAT64 = 12;
        private final MemorySegment s;
        private final Path path;
        private long pos;

        Cursor(MemorySegment s, Path path) {
            this.s = s;
            this.path = path;
        }

        long position() {
            return pos;
        }

        void need(long n, String what) {
            if (n < 0 || pos + n > s.byteSize()) {
                throw new CheckpointException(path + ": truncated: reading " + what + " needs bytes up to "
                        + (pos + n) + " but the file has " + s.byteSize());
            }
        }

        int u32() {
            need(4, "a 32-bit value");
            int v = s.get(Numerics.I32, pos);
            pos += 4;
            return v;
        }

        long u64() {
            need(8, "a 64-bit value");
            long v = s.get(Numerics.I64, pos);
            pos += 8;
            return v;
        }

        /** A count: each counted thing takes at least one byte, so more than the file's bytes is corruption. */
        long count(String what) {
            long n = u64();
            if (n < 0 || n > s.byteSize()) {
                throw new CheckpointException(path + ": truncated or corrupt: " + what + " " + Long.toUnsignedString(n)
                        + " cannot fit in a file of " + s.byteSize() + " bytes");
            }
            return n;
        }

        String string(String what) {
            long n = count("length of " + what);
            need(n, what);
            byte[] b = new byte[Math.toIntExact(n)];
            MemorySegment.copy(s, ValueLayout.JAVA_BYTE, pos, b, 0, b.length);
            pos += n;
            return new String(b, StandardCharsets.UTF_8);
        }

        Object value(int type, String what) {
            switch (type) {
                case UINT8, INT8, BOOL -> need(1, what);
                case UINT16, INT16 -> need(2, what);
                case UINT32, INT32, FLOAT32 -> need(4, what);
                case UINT64, INT64, FLOAT64 -> need(8, what);
                default -> {
                }
            }
            Object v = switch (type) {
                case UINT8 -> (long) (s.get(ValueLayout.JAVA_BYTE, pos) & 0xFF);
                case INT8 -> (long) s.get(ValueLayout.JAVA_BYTE, pos);
                case UINT16 -> (long) (s.get(Numerics.I16, pos) & 0xFFFF);
                case INT16 -> (long) s.get(Numerics.I16, pos);
                case UINT32 -> s.get(Numerics.I32, pos) & 0xFFFFFFFFL;
                case INT32 -> (long) s.get(Numerics.I32, pos);
                case FLOAT32 -> s.get(Numerics.F32, pos);
                case BOOL -> s.get(ValueLayout.JAVA_BYTE, pos) != 0;
                case UINT64, INT64 -> s.get(Numerics.I64, pos);
                case FLOAT64 -> Double.longBitsToDouble(s.get(Numerics.I64, pos));
                case STRING -> string(what);
                case ARRAY -> array(what);
                default -> throw new CheckpointException(path + ": " + what + " has unknown value type "
                        + Integer.toUnsignedString(type));
            };
            pos += switch (type) {
                case UINT8, INT8, BOOL -> 1;
                case UINT16, INT16 -> 2;
                case UINT32, INT32, FLOAT32 -> 4;
                case UINT64, INT64, FLOAT64 -> 8;
                default -> 0;   // strings and arrays moved the cursor themselves
            };
            return v;
        }

        private List<Object> array(String what) {
            int elementType = u32();
            long n = count("length of " + what);
            Object[] values = new Object[Math.toIntExact(n)];
            for (int i = 0; i < values.length; i++) {
                values[i] = value(elementType, what);
            }
            return Collections.unmodifiableList(Arrays.asList(values));
        }
    }
}

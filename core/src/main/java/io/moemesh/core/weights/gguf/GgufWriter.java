package io.moemesh.core.weights.gguf;

import io.moemesh.core.weights.DType;
import io.moemesh.core.weights.Numerics;

import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * Writes GGUF v3 files the way llama.cpp's gguf-py does: header, metadata, tensor infos, padding to the alignment,
 * then each tensor's data padded to the alignment. Tests write GGUFs from the reference fixtures with it, and the
 * benchmarks a synthetic model in a GGUF layout. A tensor's data may be given when the file is written, so a file
 * of several GB never sits in memory whole. Also encodes float rows into F32 / F16 / BF16 and quantizes them to
 * Q8_0 with ggml's reference quantizer ({@code quantize_row_q8_0_ref}).
 */
public final class GgufWriter {
    static final int UINT32 = 4, INT32 = 5, FLOAT32 = 6, BOOL = 7, STRING = 8, ARRAY = 9, UINT64 = 10;

    /** {@code data} gives the tensor's {@code bytes} bytes when the file is written. */
    private record Tensor(String name, int typeId, long[] dims, long bytes, Supplier<byte[]> data) {
    }

    private final Buf metadata = new Buf();
    private int metadataCount;
    private final List<Tensor> tensors = new ArrayList<>();
    private int alignment = GgufFile.DEFAULT_ALIGNMENT;
    private int version = 3;

    public GgufWriter version(int v) {
        version = v;
        return this;
    }

    /** Also writes general.alignment. */
    public GgufWriter alignment(int a) {
        alignment = a;
        return u32("general.alignment", a);
    }

    public GgufWriter string(String key, String value) {
        key(key, STRING);
        metadata.string(value);
        return this;
    }

    public GgufWriter u32(String key, long value) {
        key(key, UINT32);
        metadata.i32((int) value);
        return this;
    }

    public GgufWriter u64(String key, long value) {
        key(key, UINT64);
        metadata.i64(value);
        return this;
    }

    public GgufWriter f32(String key, double value) {
        key(key, FLOAT32);
        metadata.i32(Float.floatToRawIntBits((float) value));
        return this;
    }

    public GgufWriter bool(String key, boolean value) {
        key(key, BOOL);
        metadata.b.write(value ? 1 : 0);
        return this;
    }

    public GgufWriter strings(String key, List<String> values) {
        key(key, ARRAY);
        metadata.i32(STRING);
        metadata.i64(values.size());
        values.forEach(metadata::string);
        return this;
    }

    public GgufWriter i32s(String key, int[] values) {
        key(key, ARRAY);
        metadata.i32(INT32);
        metadata.i64(values.length);
        for (int v : values) {
            metadata.i32(v);
        }
        return this;
    }

    private void key(String key, int type) {
        metadata.string(key);
        metadata.i32(type);
        metadataCount++;
    }

    /** @param dims GGUF order, ne0 (columns) first */
    public GgufWriter tensor(String name, DType dtype, long[] dims, byte[] data) {
        return tensor(name, GgufFile.typeId(dtype), dims, data);
    }

    GgufWriter tensor(String name, int typeId, long[] dims, byte[] data) {
        tensors.add(new Tensor(name, typeId, dims.clone(), data.length, () -> data));
        return this;
    }

    /** A tensor of {@code bytes} bytes whose data {@code data} makes when the file is written (once). */
    public GgufWriter tensor(String name, DType dtype, long[] dims, long bytes, Supplier<byte[]> data) {
        tensors.add(new Tensor(name, GgufFile.typeId(dtype), dims.clone(), bytes, data));
        return this;
    }

    byte[] bytes() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            writeTo(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private void writeTo(OutputStream stream) throws IOException {
        Buf head = new Buf();
        head.i32(GgufFile.MAGIC);
        head.i32(version);
        head.i64(tensors.size());
        head.i64(metadataCount);
        head.b.writeBytes(metadata.b.toByteArray());
        long offset = 0;
        for (Tensor t : tensors) {
            head.string(t.name);
            head.i32(t.dims.length);
            for (long d : t.dims) {
                head.i64(d);
            }
            head.i32(t.typeId);
            head.i64(offset);
            offset += padded(t.bytes);
        }
        head.pad(alignment);
        head.b.writeTo(stream);
        byte[] zeros = new byte[alignment];
        for (Tensor t : tensors) {
            byte[] data = t.data.get();
            if (data.length != t.bytes) {
                throw new IllegalStateException(t.name + ": " + data.length + " bytes of data, " + t.bytes + " declared");
            }
            stream.write(data);
            stream.write(zeros, 0, (int) (padded(t.bytes) - t.bytes));
        }
    }

    /**
     * This file as llama.cpp's gguf-split cuts it: all metadata in the first part, the tensors spread in order,
     * every part with split.no / split.count / split.tensors.count.
     */
    List<GgufWriter> split(int count) {
        List<GgufWriter> parts = new ArrayList<>();
        int per = (tensors.size() + count - 1) / count;
        for (int i = 0; i < count; i++) {
            GgufWriter w = new GgufWriter();
            if (i == 0) {
                w.metadata.b.writeBytes(metadata.b.toByteArray());
                w.metadataCount = metadataCount;
                w.alignment = alignment;
            }
            w.u32("split.no", i).u32("split.count", count).u32("split.tensors.count", tensors.size());
            w.tensors.addAll(tensors.subList(Math.min(tensors.size(), i * per), Math.min(tensors.size(), (i + 1) * per)));
            parts.add(w);
        }
        return parts;
    }

    private long padded(long n) {
        return (n + alignment - 1) / alignment * alignment;
    }

    /** Writes the file, each tensor's data made as its turn comes. */
    public void write(Path file) {
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 20)) {
            writeTo(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ---- encodings of float rows

    public static byte[] encode(DType type, float[] values) {
        ByteBuffer b;
        switch (type) {
            case F32 -> {
                b = le(values.length * 4);
                for (float v : values) {
                    b.putFloat(v);
                }
            }
            case F16 -> {
                b = le(values.length * 2);
                for (float v : values) {
                    b.putShort(Float.floatToFloat16(v));
                }
            }
            case BF16 -> {
                b = le(values.length * 2);
                for (float v : values) {
                    b.putShort(Numerics.floatToBf16(v));
                }
            }
            case Q8_0 -> {
                return quantizeQ8_0(values);
            }
            default -> throw new IllegalArgumentException("no encoder for " + type);
        }
        return b.array();
    }

    /** ggml's quantize_row_q8_0_ref: d = amax / 127, q = round(x / d), d stored as fp16. */
    static byte[] quantizeQ8_0(float[] x) {
        if (x.length % 32 != 0) {
            throw new IllegalArgumentException("Q8_0 needs whole blocks of 32, got " + x.length);
        }
        ByteBuffer b = le(x.length / 32 * 34);
        for (int i = 0; i < x.length; i += 32) {
            float amax = 0;
            for (int j = 0; j < 32; j++) {
                amax = Math.max(amax, Math.abs(x[i + j]));
            }
            float d = amax / 127;
            float id = d != 0 ? 1 / d : 0;
            b.putShort(Float.floatToFloat16(d));
            for (int j = 0; j < 32; j++) {
                float v = x[i + j] * id;   // |v| ≤ 127
                b.put((byte) (v < 0 ? -Math.round(-v) : Math.round(v)));   // roundf: halves away from zero
            }
        }
        return b.array();
    }

    private static ByteBuffer le(int n) {
        return ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static final class Buf {
        final ByteArrayOutputStream b = new ByteArrayOutputStream();

        void i32(int v) {
            b.writeBytes(le(4).putInt(v).array());
        }

        void i64(long v) {
            b.writeBytes(le(8).putLong(v).array());
        }

        void string(String s) {
            byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
            i64(utf8.length);
            b.writeBytes(utf8);
        }

        void pad(int alignment) {
            while (b.size() % alignment != 0) {
                b.write(0);
            }
        }
    }
}

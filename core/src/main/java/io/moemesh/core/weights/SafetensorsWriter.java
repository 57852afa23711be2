package io.moemesh.core.weights;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Writes a .safetensors file (header padded to 8 bytes, as the reference writer does). */
public final class SafetensorsWriter {
    private record Pending(String name, DType dtype, long[] shape, byte[] data) {
    }

    private final List<Pending> tensors = new ArrayList<>();
    private final Map<String, String> metadata;

    public SafetensorsWriter(Map<String, String> metadata) {
        this.metadata = metadata;
    }

    public SafetensorsWriter f32(String name, float[] values, long... shape) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        return raw(name, DType.F32, shape, b.array());
    }

    public SafetensorsWriter i32(String name, int[] values, long... shape) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asIntBuffer().put(values);
        return raw(name, DType.I32, shape, b.array());
    }

    public SafetensorsWriter bf16(String name, float[] values, long... shape) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putShort(Numerics.floatToBf16(v));
        }
        return raw(name, DType.BF16, shape, b.array());
    }

    /**
     * A matrix as Qwen's and DeepSeek's FP8 releases store one: e4m3 bytes under {@code name}, and under
     * {@code name + "_scale_inv"} one F32 scale per block of {@code blockRows × blockCols} (the block's largest
     * magnitude over 448, so it maps to e4m3's largest value); a weight is its byte's value times its block's scale.
     */
    public SafetensorsWriter fp8(String name, float[] values, int rows, int cols, int blockRows, int blockCols) {
        int scaleRows = (rows + blockRows - 1) / blockRows, scaleCols = (cols + blockCols - 1) / blockCols;
        float[] scales = new float[scaleRows * scaleCols];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                int s = r / blockRows * scaleCols + c / blockCols;
                scales[s] = Math.max(scales[s], Math.abs(values[r * cols + c]));
            }
        }
        for (int s = 0; s < scales.length; s++) {
            scales[s] = scales[s] > 0 ? scales[s] / 448 : 1;
        }
        byte[] bytes = new byte[rows * cols];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                float scale = scales[r / blockRows * scaleCols + c / blockCols];
                bytes[r * cols + c] = Numerics.floatToE4m3(values[r * cols + c] / scale);
            }
        }
        raw(name, DType.F8_E4M3, new long[]{rows, cols}, bytes);
        return f32(name + "_scale_inv", scales, scaleRows, scaleCols);
    }

    public SafetensorsWriter raw(String name, DType dtype, long[] shape, byte[] data) {
        tensors.add(new Pending(name, dtype, shape.clone(), data));
        return this;
    }

    public long dataBytes() {
        return tensors.stream().mapToLong(t -> t.data.length).sum();
    }

    public List<String> names() {
        return tensors.stream().map(Pending::name).toList();
    }

    public void write(Path file) {
        ObjectMapper json = new ObjectMapper();
        ObjectNode header = json.createObjectNode();
        if (metadata != null && !metadata.isEmpty()) {
            ObjectNode meta = header.putObject("__metadata__");
            metadata.forEach(meta::put);
        }
        long offset = 0;
        for (Pending t : tensors) {
            ObjectNode e = header.putObject(t.name);
            e.put("dtype", t.dtype.name());
            ArrayNode shape = e.putArray("shape");
            for (long d : t.shape) {
                shape.add(d);
            }
            e.putArray("data_offsets").add(offset).add(offset + t.data.length);
            offset += t.data.length;
        }
        byte[] headerBytes = header.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (headerBytes.length + 7) / 8 * 8;
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 20)) {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded);
            out.write(len.array());
            out.write(headerBytes);
            for (int i = headerBytes.length; i < padded; i++) {
                out.write(' ');
            }
            for (Pending t : tensors) {
                out.write(t.data);
            }
        } catch (IOException e) {
            throw new CheckpointException(file + ": cannot write: " + e.getMessage(), e);
        }
    }
}

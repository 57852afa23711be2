package io.moemesh.core.weights;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/** Tensors past the 2 GB mark (where int offsets and ByteBuffers stop) read correctly, mapped and in memory. */
class LargeFileTest {
    @Test
    void tensorBeyondTwoGigabytes(@TempDir Path dir) throws IOException {
        long big = 2_500_000_000L;   // a sparse gap: costs no disk
        String header = "{\"gap\":{\"dtype\":\"U8\",\"shape\":[" + big + "],\"data_offsets\":[0," + big + "]},"
                + "\"tail\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[" + big + "," + (big + 16) + "]}}";
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        Path file = dir.resolve("big.safetensors");
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length);
            raf.write(len.array());
            raf.write(h);
            raf.seek(8 + h.length + big);
            ByteBuffer tail = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
            tail.putFloat(1.5f).putFloat(-2f).putFloat(3.25f).putFloat(1e-3f);
            raf.write(tail.array());
        }
        float[] expected = {1.5f, -2f, 3.25f, 1e-3f};
        try (Arena arena = Arena.ofShared(); SafetensorsFile f = SafetensorsFile.open(file, arena)) {
            assertArrayEquals(expected, f.tensor("tail", LoadMode.MMAP).toFloats());
            assertArrayEquals(expected, f.tensor("tail", LoadMode.MEMORY).toFloats());
        }
    }
}

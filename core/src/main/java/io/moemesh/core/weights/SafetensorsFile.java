package io.moemesh.core.weights;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * One .safetensors file: an 8-byte little-endian header length, a JSON header, then the raw tensor bytes.
 * Opening reads and checks the header only; a tensor's bytes are mapped or read when {@link #tensor} asks for it,
 * so a role that needs a few tensors never touches the pages of the others.
 */
public final class SafetensorsFile implements AutoCloseable {
    /** Real headers are a few MB even for 235B shards; anything near this is a corrupt or foreign file. */
    static final long MAX_HEADER_BYTES = 100L << 20;
    private static final ObjectMapper JSON = new ObjectMapper();

    public record Entry(String name, DType dtype, long[] shape, long begin, long end) {
    }

    private final Path path;
    private final FileChannel channel;
    private final long fileSize;
    private final long dataStart;
    private final Map<String, Entry> entries;
    private final Map<String, String> metadata;
    private final Arena arena;
    private MemorySegment mapped;

    private SafetensorsFile(Path path, FileChannel channel, long fileSize, long dataStart,
                            Map<String, Entry> entries, Map<String, String> metadata, Arena arena) {
        this.path = path;
        this.channel = channel;
        this.fileSize = fileSize;
        this.dataStart = dataStart;
        this.entries = entries;
        this.metadata = metadata;
        this.arena = arena;
    }

    /** Opens and validates the header; tensor memory is owned by {@code arena}. */
    public static SafetensorsFile open(Path path, Arena arena) {
        FileChannel channel;
        try {
            channel = FileChannel.open(path, StandardOpenOption.READ);
        } catch (IOException e) {
            throw new CheckpointException(path + ": cannot open: " + e.getMessage(), e);
        }
        try {
            long size = channel.size();
            if (size < 8) {
                throw new CheckpointException(path + ": truncated: " + size + " bytes, too short for a safetensors header");
            }
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(channel, lenBuf, 0, path);
            long headerLen = lenBuf.getLong(0);
            if (headerLen <= 0 || headerLen > MAX_HEADER_BYTES) {
                throw new CheckpointException(path + ": header length " + Long.toUnsignedString(headerLen)
                        + " is absurd (not a safetensors file, or corrupt)");
            }
            if (8 + headerLen > size) {
                throw new CheckpointException(path + ": truncated: header says " + headerLen + " bytes but the file has "
                        + size + " bytes");
            }
            ByteBuffer headerBuf = ByteBuffer.allocate((int) headerLen);
            readFully(channel, headerBuf, 8, path);
            JsonNode header;
            try {
                header = JSON.readTree(new String(headerBuf.array(), StandardCharsets.UTF_8).trim());
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new CheckpointException(path + ": header is not valid JSON: " + e.getOriginalMessage(), e);
            }
            if (header == null || !header.isObject()) {
                throw new CheckpointException(path + ": header is not a JSON object");
            }
            long dataStart = 8 + headerLen;
            Map<String, Entry> entries = new LinkedHashMap<>();
            Map<String, String> metadata = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = header.properties().iterator(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (e.getKey().equals("__metadata__")) {
                    e.getValue().properties().forEach(m -> metadata.put(m.getKey(), m.getValue().asText()));
                    continue;
                }
                Entry entry = parseEntry(path, e.getKey(), e.getValue());
                if (dataStart + entry.end > size) {
                    throw new CheckpointException(path + ": tensor '" + entry.name + "' lies at bytes [" + entry.begin + ", "
                            + entry.end + ") of the data, outside the file (" + (size - dataStart)
                            + " data bytes): truncated file or bad offsets");
                }
                entries.put(entry.name, entry);
            }
            return new SafetensorsFile(path, channel, size, dataStart, Collections.unmodifiableMap(entries),
                    Collections.unmodifiableMap(metadata), arena);
        } catch (IOException e) {
            closeQuietly(channel);
            throw new CheckpointException(path + ": cannot read: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            closeQuietly(channel);
            throw e;
        }
    }

    private static Entry parseEntry(Path path, String name, JsonNode node) {
        String where = path + ": tensor '" + name + "'";
        if (!node.isObject() || !node.hasNonNull("dtype") || !node.has("shape") || !node.has("data_offsets")) {
            throw new CheckpointException(where + ": header entry needs dtype, shape and data_offsets");
        }
        DType dtype = DType.parse(node.get("dtype").asText(), where);
        JsonNode shapeNode = node.get("shape");
        JsonNode offsets = node.get("data_offsets");
        if (!shapeNode.isArray() || !offsets.isArray() || offsets.size() != 2) {
            throw new CheckpointException(where + ": shape must be an array and data_offsets [begin, end]");
        }
        long[] shape = new long[shapeNode.size()];
        long numel = 1;
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = shapeNode.get(i);
            if (!d.isIntegralNumber() || d.asLong() < 0) {
                throw new CheckpointException(where + ": bad shape " + shapeNode);
            }
            shape[i] = d.asLong();
            numel = Math.multiplyExact(numel, shape[i]);
        }
        long begin = offsets.get(0).asLong(-1);
        long end = offsets.get(1).asLong(-1);
        if (begin < 0 || end < begin) {
            throw new CheckpointException(where + ": bad data_offsets " + offsets);
        }
        long expected = Math.multiplyExact(numel, dtype.bytes());
        if (end - begin != expected) {
            throw new CheckpointException(where + ": " + dtype + " " + shapeNode + " needs " + expected
                    + " bytes but data_offsets span " + (end - begin) + " (mislabelled dtype or shape)");
        }
        return new Entry(name, dtype, shape, begin, end);
    }

    public Path path() {
        return path;
    }

    public Set<String> names() {
        return entries.keySet();
    }

    public Map<String, String> metadata() {
        return metadata;
    }

    public Entry entry(String name) {
        return entries.get(name);
    }

    public boolean contains(String name) {
        return entries.containsKey(name);
    }

    /** The tensor's bytes: a slice of the mapped file, or a fresh off-heap copy of just this tensor. */
    public TensorSlice tensor(String name, LoadMode mode) {
        Entry e = entries.get(name);
        if (e == null) {
            throw new CheckpointException(path + ": tensor '" + name + "' not found");
        }
        long length = e.end - e.begin;
        MemorySegment data = switch (mode) {
            case MMAP -> mapped().asSlice(dataStart + e.begin, length);
            case MEMORY -> readIntoMemory(dataStart + e.begin, length, name);
        };
        return new TensorSlice(name, e.dtype, e.shape.clone(), data, path.toString());
    }

    private synchronized MemorySegment mapped() {
        if (mapped == null) {
            try {
                mapped = channel.map(FileChannel.MapMode.READ_ONLY, 0, fileSize, arena);
            } catch (IOException e) {
                throw new CheckpointException(path + ": cannot map: " + e.getMessage(), e);
            }
        }
        return mapped;
    }

    private MemorySegment readIntoMemory(long position, long length, String name) {
        MemorySegment segment = FreshMemory.allocate(arena, length, 64);   // fresh pages, first touched by the copy
        // ByteBuffer views are limited to 2 GB, so large tensors are read in chunks.
        long chunk = 1L << 30;
        try {
            for (long done = 0; done < length; done += chunk) {
                long n = Math.min(chunk, length - done);
                readFully(channel, segment.asSlice(done, n).asByteBuffer(), position + done, path);
            }
        } catch (IOException e) {
            throw new CheckpointException(path + ": cannot read tensor '" + name + "': " + e.getMessage(), e);
        }
        return segment;
    }

    private static void readFully(FileChannel channel, ByteBuffer buf, long position, Path path) throws IOException {
        while (buf.hasRemaining()) {
            int n = channel.read(buf, position);
            if (n < 0) {
                throw new CheckpointException(path + ": truncated: unexpected end of file at byte " + position);
            }
            position += n;
        }
    }

    private static void closeQuietly(FileChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // nothing more to say than the error being thrown already
        }
    }

    @Override
    public void close() {
        closeQuietly(channel);
    }
}

package io.moemesh.core.weights;

import io.moemesh.core.ReferenceFixture;
import io.moemesh.core.kernel.MatMul;
import io.moemesh.core.nn.Qwen3Model;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/** Every way a checkpoint can be broken gets an error naming the file and, where there is one, the tensor. */
class BadCheckpointTest {
    @TempDir
    Path tmp;

    private Path copyOf(String model) throws IOException {
        Path src = ReferenceFixture.modelDir(model);
        Path dst = tmp.resolve(model);
        Files.createDirectories(dst);
        try (Stream<Path> files = Files.list(src)) {
            for (Path f : files.filter(p -> !p.getFileName().toString().startsWith("reference")).toList()) {
                Files.copy(f, dst.resolve(f.getFileName()));
            }
        }
        return dst;
    }

    private static CheckpointException loadFails(Path dir) {
        return assertThrows(CheckpointException.class, () -> {
            try (Checkpoint ck = Checkpoint.open(dir, LoadMode.MMAP); Qwen3Model m = Qwen3Model.load(ck, MatMul.vector())) {
                fail("loaded a broken checkpoint");
            }
        });
    }

    private static void assertMentions(Exception e, String... parts) {
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), "message '" + e.getMessage() + "' should mention '" + p + "'");
        }
    }

    @Test
    void truncatedFile() throws IOException {
        Path dir = copyOf("tiny-qwen3-dense");
        Path file = dir.resolve("model.safetensors");
        byte[] bytes = Files.readAllBytes(file);
        Files.write(file, java.util.Arrays.copyOf(bytes, bytes.length - 1000));
        assertMentions(loadFails(dir), "model.safetensors", "outside the file", "tensor '");
    }

    @Test
    void fileShorterThanItsHeader() throws IOException {
        Path dir = copyOf("tiny-qwen3-dense");
        Path file = dir.resolve("model.safetensors");
        byte[] bytes = Files.readAllBytes(file);
        Files.write(file, java.util.Arrays.copyOf(bytes, 100));
        assertMentions(loadFails(dir), "model.safetensors", "truncated");
    }

    @Test
    void absurdHeaderLength() throws IOException {
        Path dir = copyOf("tiny-qwen3-dense");
        Path file = dir.resolve("model.safetensors");
        byte[] bytes = Files.readAllBytes(file);
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(0, Long.MAX_VALUE / 2);
        Files.write(file, bytes);
        assertMentions(loadFails(dir), "model.safetensors", "header length", "absurd");
    }

    @Test
    void offsetsOutsideTheFile() throws IOException {
        Path file = tmp.resolve("bad.safetensors");
        writeRaw(file, "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[1000,1016]}}", new byte[16]);
        CheckpointException e = assertThrows(CheckpointException.class, () -> SafetensorsFile.open(file, Arena.ofAuto()));
        assertMentions(e, "bad.safetensors", "tensor 'w'", "outside the file");
    }

    @Test
    void dtypeAndShapeThatDisagreeWithTheBytes() throws IOException {
        Path file = tmp.resolve("mislabelled.safetensors");
        writeRaw(file, "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,8]}}", new byte[8]);
        CheckpointException e = assertThrows(CheckpointException.class, () -> SafetensorsFile.open(file, Arena.ofAuto()));
        assertMentions(e, "mislabelled.safetensors", "tensor 'w'", "needs 16 bytes");
    }

    @Test
    void unknownDtypeAndBrokenHeaderJson() throws IOException {
        Path file = tmp.resolve("odd.safetensors");
        writeRaw(file, "{\"w\":{\"dtype\":\"Q5\",\"shape\":[4],\"data_offsets\":[0,4]}}", new byte[4]);
        assertMentions(assertThrows(CheckpointException.class, () -> SafetensorsFile.open(file, Arena.ofAuto())),
                "odd.safetensors", "unknown dtype 'Q5'");
        writeRaw(file, "{\"w\": [", new byte[4]);
        assertMentions(assertThrows(CheckpointException.class, () -> SafetensorsFile.open(file, Arena.ofAuto())),
                "odd.safetensors", "not valid JSON");
    }

    @Test
    void shapeThatDisagreesWithTheConfig() throws IOException {
        Path dir = copyOf("tiny-qwen3-dense");
        Path config = dir.resolve("config.json");
        Files.writeString(config, Files.readString(config).replace("\"hidden_size\": 64", "\"hidden_size\": 96"));
        assertMentions(loadFails(dir), "model.safetensors", "model.layers.0.self_attn.q_proj.weight", "shape [128, 64]",
                "config implies [128, 96]");
    }

    @Test
    void dtypeTheEngineCannotComputeWith() throws IOException {
        Path dir = tmp.resolve("int-weights");
        Files.createDirectories(dir);
        Files.copy(ReferenceFixture.modelDir("tiny-qwen3-dense").resolve("config.json"), dir.resolve("config.json"));
        new SafetensorsWriter(Map.of()).i32("model.embed_tokens.weight", new int[1024 * 64], 1024, 64)
                .write(dir.resolve("model.safetensors"));
        try (Checkpoint ck = Checkpoint.open(dir, LoadMode.MMAP)) {
            CheckpointException e = assertThrows(CheckpointException.class,
                    () -> io.moemesh.core.tensor.Matrices.load(ck, "model.embed_tokens.weight", 1024, 64));
            assertMentions(e, "model.embed_tokens.weight", "I32", "model.safetensors");
        }
    }

    @Test
    void missingTensor() throws IOException {
        Path dir = copyOf("tiny-qwen3-moe");
        Path index = dir.resolve(Checkpoint.INDEX);
        Files.writeString(index, Files.readString(index)
                .replace("\"model.layers.2.mlp.experts.7.up_proj.weight\"", "\"renamed.tensor\""));
        assertMentions(loadFails(dir), "model.layers.2.mlp.experts.7.up_proj.weight", "missing");
    }

    @Test
    void tensorListedInTheIndexButAbsentFromItsShard() throws IOException {
        Path dir = copyOf("tiny-qwen3-moe");
        Path index = dir.resolve(Checkpoint.INDEX);
        String json = Files.readString(index);
        // Point one tensor at the other shard.
        String name = "\"model.norm.weight\": \"";
        int at = json.indexOf(name) + name.length();
        String shard = json.substring(at, json.indexOf('"', at));
        String other = shard.contains("00001") ? shard.replace("00001-of", "00002-of") : shard.replace("00002-of", "00001-of");
        Files.writeString(index, json.replace(name + shard, name + other));
        assertMentions(loadFails(dir), "model.norm.weight", other, "missing from the shard");
    }

    @Test
    void missingShardAndMissingConfig() throws IOException {
        Path dir = copyOf("tiny-qwen3-moe");
        Files.delete(dir.resolve("model-00002-of-00002.safetensors"));
        assertMentions(loadFails(dir), "model-00002-of-00002.safetensors", "missing");
        Files.delete(dir.resolve("config.json"));
        assertMentions(loadFails(dir), "config.json", "missing");
        assertMentions(loadFails(tmp.resolve("nowhere")), "nowhere", "not a checkpoint directory");
    }

    @Test
    void fp8WeightWithoutItsScales() throws IOException {
        Path dir = tmp.resolve("fp8");
        Files.createDirectories(dir);
        Path src = ReferenceFixture.modelDir("tiny-qwen3-moe-fp8");
        Files.copy(src.resolve("config.json"), dir.resolve("config.json"));
        // Rewrite the checkpoint without one scale tensor.
        SafetensorsWriter w = new SafetensorsWriter(Map.of());
        try (Arena arena = Arena.ofConfined(); SafetensorsFile f = SafetensorsFile.open(src.resolve("model.safetensors"), arena)) {
            for (String name : f.names()) {
                if (name.equals("model.layers.1.self_attn.o_proj.weight_scale_inv")) {
                    continue;
                }
                TensorSlice t = f.tensor(name, LoadMode.MEMORY);
                w.raw(name, t.dtype(), t.shape(), t.data().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
            }
        }
        w.write(dir.resolve("model.safetensors"));
        assertMentions(loadFails(dir), "model.layers.1.self_attn.o_proj.weight", "no block scales");
    }

    @Test
    void anExpertHostReadsOnlyItsOwnExperts() {
        Path dir = ReferenceFixture.modelDir("tiny-qwen3-moe");
        try (Checkpoint ck = Checkpoint.open(dir, LoadMode.MEMORY)) {
            var experts = new io.moemesh.core.roles.LocalExperts(ck, (layer, e) -> layer == 0 && e < 2, MatMul.vector());
            assertEquals(2, experts.size());
            long oneExpert = 3L * 32 * 64 * 2;
            assertEquals(2 * oneExpert, ck.bytesLoaded(), "only the bytes of the two hosted experts are read");
        }
    }

    private static void writeRaw(Path file, String header, byte[] data) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h).put(data);
        Files.write(file, b.array());
    }
}

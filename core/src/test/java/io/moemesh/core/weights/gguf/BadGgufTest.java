package io.moemesh.core.weights.gguf;

import io.moemesh.core.ReferenceFixture;
import io.moemesh.core.kernel.MatMul;
import io.moemesh.core.nn.Qwen3Model;
import io.moemesh.core.weights.Checkpoint;
import io.moemesh.core.weights.CheckpointException;
import io.moemesh.core.weights.DType;
import io.moemesh.core.weights.LoadMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** Every way a GGUF file can be broken gets an error naming the file and what is wrong with it. */
class BadGgufTest {
    @TempDir
    Path tmp;

    private static CheckpointException loadFails(Path file) {
        return assertThrows(CheckpointException.class, () -> {
            try (Checkpoint ck = Checkpoint.open(file, LoadMode.MMAP); Qwen3Model m = Qwen3Model.load(ck, MatMul.vector())) {
                fail("loaded a broken GGUF");
            }
        });
    }

    private static void assertMentions(Exception e, String... parts) {
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), "message '" + e.getMessage() + "' should mention '" + p + "'");
        }
    }

    private Path fixture(String name) {
        return FixtureGguf.convert(ReferenceFixture.modelDir("tiny-qwen3-dense"), DType.Q8_0, tmp.resolve(name));
    }

    private static GgufWriter small() {
        return new GgufWriter().string("general.architecture", "qwen3")
                .tensor("a", DType.F32, new long[]{8}, new byte[32])
                .tensor("b", DType.Q8_0, new long[]{32, 2}, new byte[68]);
    }

    @Test
    void truncatedData() throws IOException {
        Path file = fixture("cut.gguf");
        byte[] bytes = Files.readAllBytes(file);
        Files.write(file, Arrays.copyOf(bytes, bytes.length - 1000));
        assertMentions(loadFails(file), file.toString(), "outside the file", "tensor '");
    }

    @Test
    void truncatedHeader() throws IOException {
        Path file = fixture("cut-header.gguf");
        Files.write(file, Arrays.copyOf(Files.readAllBytes(file), 5000));   // inside the tokenizer's arrays
        assertMentions(loadFails(file), file.toString(), "truncated", "tokenizer.ggml.tokens");
    }

    @Test
    void badMagic() throws IOException {
        Path file = fixture("magic.gguf");
        byte[] bytes = Files.readAllBytes(file);
        bytes[0] = 'X';
        Files.write(file, bytes);
        assertMentions(loadFails(file), file.toString(), "not a GGUF file");
    }

    @Test
    void unsupportedVersion() {
        Path file = tmp.resolve("v1.gguf");
        small().version(1).write(file);
        assertMentions(loadFails(file), file.toString(), "version 1");
    }

    @Test
    void unknownTensorType() {
        Path file = tmp.resolve("type.gguf");
        small().tensor("c", 99, new long[]{4}, new byte[16]).write(file);
        assertMentions(loadFails(file), file.toString(), "tensor 'c'", "unknown ggml tensor type 99");
    }

    @Test
    void knownButUnsupportedTensorType() {
        Path file = tmp.resolve("q2k.gguf");
        small().tensor("c", 10, new long[]{256}, new byte[84]).write(file);
        assertMentions(loadFails(file), file.toString(), "tensor 'c'", "Q2_K");
    }

    @Test
    void wrongArchitecture() {
        Path file = tmp.resolve("llama.gguf");
        new GgufWriter().string("general.architecture", "llama").write(file);
        Exception e = assertThrows(RuntimeException.class, () -> Checkpoint.open(file, LoadMode.MMAP).close());
        assertMentions(e, file.toString(), "llama");
    }

    /** The reader itself on a hand-written file: metadata of each type, alignment, shapes, and data in place. */
    @Test
    void readsWhatTheWriterWrote() {
        Path file = tmp.resolve("small.gguf");
        byte[] q8 = new byte[68];
        q8[2] = 5;
        small().alignment(64).u64("x.big", 1L << 40).f32("x.f", 0.1).bool("x.t", true)
                .i32s("x.ints", new int[]{-1, 2}).write(file);
        try (Arena arena = Arena.ofConfined()) {
            GgufFile f = GgufFile.open(file, arena);
            assertEquals(3, f.version());
            assertEquals(1L << 40, f.integer("x.big"));
            assertEquals(0.1, f.number("x.f"));
            assertTrue(f.bool("x.t", false));
            assertEquals(-1, f.ints("x.ints")[0]);
            assertEquals(64L, f.integer("general.alignment"));
            assertEquals(DType.Q8_0, f.info("b").dtype());
            assertEquals(64, f.info("b").offset());   // 32 bytes of "a" padded to the alignment
            assertTrue(Arrays.equals(new long[]{2, 32}, f.info("b").shape()));
            CheckpointException e = assertThrows(CheckpointException.class, () -> f.string("x.f"));
            assertMentions(e, file.toString(), "x.f", "must be a string");
        }
    }
}

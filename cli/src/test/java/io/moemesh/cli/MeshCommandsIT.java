package io.moemesh.cli;

import io.moemesh.core.ReferenceFixture;
import io.moemesh.core.weights.LoadMode;
import io.moemesh.core.weights.SafetensorsFile;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * `./moe-mesh forward|generate --mesh 3`: every reference model through a mesh of real processes (3 expert-services,
 * every expert on 2 of them, router, attention-service, gateway) gives the reference routing and tokens, and logits
 * within 1e-5 of the embedded engine's (f32 wire).
 */
class MeshCommandsIT {
    static final List<String> MODELS = ReferenceFixture.MODELS;
    @TempDir
    static Path home;

    private static CliProcess run(String... args) {
        CliProcess p = CliProcess.script(home, args);
        assertEquals(0, p.exitCode(), p.stderr());
        return p;
    }

    @ParameterizedTest
    @FieldSource("MODELS")
    void forwardAndGenerateThroughTheMesh(String name) throws Exception {
        ReferenceFixture ref = ReferenceFixture.load(name);
        String ids = CliReferenceTest.ids(ref.i("input_ids"));
        Path local = home.resolve(name + "-local.safetensors");
        Path meshed = home.resolve(name + "-mesh.safetensors");
        run("forward", "--model", ref.dir().toString(), "--input-ids", ids, "--output", local.toString());
        run("forward", "--model", ref.dir().toString(), "--input-ids", ids, "--output", meshed.toString(), "--mesh", "3");
        try (Arena arena = Arena.ofConfined(); SafetensorsFile a = SafetensorsFile.open(local, arena);
             SafetensorsFile b = SafetensorsFile.open(meshed, arena)) {
            assertEquals(a.names(), b.names(), "same tensors with and without the mesh");
            double err = ReferenceFixture.relativeError(b.tensor("logits", LoadMode.MEMORY).toFloats(),
                    a.tensor("logits", LoadMode.MEMORY).toFloats());
            System.out.printf("%s: mesh vs embedded logits relative error %.2e%n", name, err);
            assertTrue(err < 1e-5, name + " mesh logits vs embedded: " + err);
            for (String t : b.names()) {
                if (t.startsWith("topk_ids")) {
                    assertArrayEquals(ref.i(t), b.tensor(t, LoadMode.MEMORY).toInts(), name + " " + t);
                }
            }
        }
        int[] expected = ref.i("generated_ids");
        CliProcess gen = run("generate", "--model", ref.dir().toString(), "--input-ids", ids, "--max-new-tokens",
                Integer.toString(expected.length - ref.i("input_ids").length), "--temperature", "0", "--ids", "--mesh", "3");
        assertEquals("{\"generated_ids\":[" + CliReferenceTest.ids(expected) + "]}", gen.stdout().strip(), name);
    }
}

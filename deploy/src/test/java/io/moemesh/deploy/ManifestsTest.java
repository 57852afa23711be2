package io.moemesh.deploy;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * k8s/moe-mesh-demo.yaml, the plain manifests for people without Helm, is the chart rendered with the demo values;
 * this keeps it so whenever the chart or the values change.
 */
class ManifestsTest {
    /** Set to true to rewrite the committed manifests from the chart instead of comparing. */
    static final String REGENERATE = "moemesh.regenerateManifests";
    static final String HOW_TO_REGENERATE = "./mvnw -o -q package -pl deploy -am -Dtest=ManifestsTest "
            + "-Dsurefire.failIfNoSpecifiedTests=false -D" + REGENERATE + "=true";
    static final String HEADER = """
            # The moe-mesh chart rendered with helm/moe-mesh/examples/demo-one-pod.yaml (release name moe-mesh): a small
            # mesh for a laptop cluster, for use without Helm (kubectl apply -f k8s/moe-mesh-demo.yaml). The model and the
            # node directory it expects are described at the top of that values file; images: helm/moe-mesh/README.md.
            # Do not edit: deploy/'s ManifestsTest checks that this file is what the chart renders now; regenerate it with
            #   %s
            """.formatted(HOW_TO_REGENERATE);

    @Test
    void k8sManifestsAreTheChartRenderedWithTheDemoValues() throws IOException {
        String expected = HEADER + HelmChart.template(Repo.DEMO_VALUES).yaml();
        if (Boolean.getBoolean(REGENERATE)) {
            Files.createDirectories(Repo.K8S);
            Files.writeString(Repo.K8S_DEMO, expected);
        }
        String committed = committed();
        if (!committed.equals(expected)) {
            String[] a = committed.split("\n", -1);
            String[] b = expected.split("\n", -1);
            int line = 0;
            while (line < Math.min(a.length, b.length) && a[line].equals(b[line])) {
                line++;
            }
            fail(Repo.ROOT.relativize(Repo.K8S_DEMO) + " is not what the chart renders now (first difference at line " + (line + 1)
                    + ": committed '" + (line < a.length ? a[line] : "<end>") + "', rendered '" + (line < b.length ? b[line] : "<end>")
                    + "'). Regenerate it with\n  " + HOW_TO_REGENERATE + "\nor: helm template moe-mesh helm/moe-mesh -f "
                    + "helm/moe-mesh/examples/demo-one-pod.yaml (below the header)");
        }
        assertEquals(expected, committed);
    }

    static String committed() {
        try {
            return Files.readString(Repo.K8S_DEMO);
        } catch (NoSuchFileException e) {
            return fail(Repo.K8S_DEMO + " is missing; write it with\n  " + HOW_TO_REGENERATE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

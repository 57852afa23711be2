package io.moemesh.deploy;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Values that must not install: values.schema.json (run by Helm itself on every install, upgrade, template and
 * lint) or the chart's own checks refuse them, with a message that names what is wrong.
 */
class ValuesSchemaTest {
    @TempDir
    Path tmp;

    /** Each row: overrides of the demo values (YAML; "|" stands for a newline), then words the error must contain. */
    @ParameterizedTest(name = "{1}")
    @CsvSource(delimiter = ';', quoteCharacter = '"', textBlock = """
            gatway: {replicas: 2}                                                      ; gatway
            gateway: {replica: 2}                                                      ; replica
            expertGroups: [{name: g0, hostd: '0-3:0-127', replicas: 1, minReplicas: 1, maxReplicas: 1}] ; hostd, hosted
            expertGroups: [{name: g0, replicas: 1, minReplicas: 1, maxReplicas: 1}]   ; hosted
            expertGroups: [{name: g0, hosted: '0-3:0-127', minReplicas: 1, maxReplicas: 1}] ; replicas
            expertGroups: [{name: G_0, hosted: '0-3:0-127', replicas: 1, minReplicas: 1, maxReplicas: 1}] ; /expertGroups/0/name
            expertGroups: [{name: a-name-much-too-long, hosted: '0-3:0-127', replicas: 1, minReplicas: 1, maxReplicas: 1}] ; /expertGroups/0/name
            expertGroups: [{name: g0, hosted: '0-3,0-127', replicas: 1, minReplicas: 1, maxReplicas: 1}] ; /expertGroups/0/hosted
            expertGroups: [{name: g0, hosted: '0-3:0-127', replicas: 1, minReplicas: 1, maxReplicas: 1, autoscaling: {targetTokensPerSec: 5}}] ; targetTokensPerSec
            expertGroups: []                                                           ; /expertGroups
            expertDefaults: {autoscaling: {targetTokensPerSecond: fast}}               ; targetTokensPerSecond
            router: {expertWireDtype: FP16}                                            ; expertWireDtype
            model: {mountPath: models}                                                 ; mountPath
            expertDefaults: {pdb: {maxUnavailable: 1}}                                 ; minAvailable, maxUnavailable, not both
            expertGroups: [{name: g0, hosted: '0-3:0-127', replicas: 1, minReplicas: 1, maxReplicas: 1}, {name: g0, hosted: '0-3:0-127', replicas: 1, minReplicas: 1, maxReplicas: 1}] ; g0, used twice
            expertGroups: [{name: g0, hosted: '0-3:0-127', replicas: 1, minReplicas: 3, maxReplicas: 2}] ; minReplicas 3, maxReplicas 2
            model: {pvc: {claimName: models}}                                          ; model.pvc.claimName, model.hostPath, not both
            model: {hostPath: null}                                                    ; model.pvc.claimName, model.hostPath
            gateway: {grpc: {separatePort: true, port: 8080}}                          ; gateway.grpc.port, 8080
            gateway: {apiKey: {existingSecret: keys, value: abc}}                      ; existingSecret, value
            """)
    void refusesWithAMessageThatNamesIt(String overrides, String mustName) {
        Path file = HelmChart.write(tmp, overrides.replace("|", "\n"));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> HelmChart.template(Repo.DEMO_VALUES, file),
                "rendered although invalid: " + overrides);
        for (String word : Arrays.stream(mustName.split(",")).map(String::strip).toList()) {
            assertTrue(e.getMessage().contains(word), () -> "the error does not name '" + word + "': " + e.getMessage());
        }
    }
}

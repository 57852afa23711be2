package io.moemesh.cli;

import picocli.CommandLine.Option;

/** --mesh N: run the command through a local mesh of N expert-services, started and stopped for the call. */
final class MeshOptions {
    @Option(names = "--mesh", paramLabel = "N",
            description = "Run through a mesh on loopback with N expert-service JVMs (plus router, attention-service and "
                    + "gateway), started and stopped for this call. The output is the same as without it.")
    Integer expertServices;

    @Option(names = "--mesh-replicas", paramLabel = "R", description = "With --mesh: copies of each expert (default min(2, N)).")
    Integer replicas;

    boolean enabled() {
        return expertServices != null;
    }

    int replicas() {
        return replicas != null ? replicas : Math.min(2, expertServices);
    }
}

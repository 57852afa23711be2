package io.moemesh.cli;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** The ports a mesh launcher hands its processes before they bind them. */
class MeshProcessTest {
    /** The OS may give a port just closed to the next bind(0); a launcher must not give it to two processes. */
    @Test
    void freePortsAreNeverHandedOutTwice() {
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < 500; i++) {
            int port = MeshProcess.freePort();
            assertTrue(port > 0 && seen.add(port), "port " + port + " handed out twice (call " + i + ")");
        }
    }
}

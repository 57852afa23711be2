package io.moemesh.core.kernel;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Core's kernel tests also run with the JVM's vectors capped at 256 and 128 bits (core/pom.xml), as on AVX2 and on
 * NEON hosts: the row-panel layouts and kernels take their shape from the lane count. This checks that the cap
 * reached the JVM, so that those runs test what they say.
 */
class VectorWidthTest {
    @Test
    void theVectorsAreNoWiderThanTheRunAsksFor() {
        int lanes = FloatVector.SPECIES_PREFERRED.length();
        int max = Integer.getInteger("moemesh.test.maxFloatLanes", Integer.MAX_VALUE);
        assertTrue(lanes <= max, "float lanes " + lanes + " with moemesh.test.maxFloatLanes " + max);
    }
}

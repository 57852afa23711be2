package io.moemesh.core.weights;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

class FreshMemoryTest {
    /** Sizes on both sides of the 1 MB below which the arena allocates; alignments the weights ask for. */
    @ParameterizedTest
    @CsvSource({"1000, 64", "1048575, 256", "1048576, 64", "5000003, 256", "33554432, 4096"})
    void zeroedAlignedWritableAndGoneWithTheArena(long bytes, long alignment) {
        MemorySegment kept;
        try (Arena arena = Arena.ofShared()) {
            MemorySegment m = FreshMemory.allocate(arena, bytes, alignment);
            kept = m;
            assertEquals(bytes, m.byteSize());
            assertEquals(0, m.address() % alignment);
            for (long at = 0; at < bytes; at += 4093) {
                assertEquals(0, m.get(ValueLayout.JAVA_BYTE, at), "byte " + at);
            }
            assertEquals(0, m.get(ValueLayout.JAVA_BYTE, bytes - 1));
            m.fill((byte) 7);
            assertEquals(7, m.get(ValueLayout.JAVA_BYTE, bytes - 1));
            assertThrows(IndexOutOfBoundsException.class, () -> m.get(ValueLayout.JAVA_BYTE, bytes));
        }
        assertFalse(kept.scope().isAlive());
        assertThrows(IllegalStateException.class, () -> kept.get(ValueLayout.JAVA_BYTE, 0));
    }
}

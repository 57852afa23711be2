package io.moemesh.core.weights;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Optional;

/**
 * Zeroed native memory for weights, from the C library's {@code calloc}, freed when its arena closes.
 *
 * <p>Why not {@link Arena#allocate}: it zeroes what it allocates on the allocating thread, and the weights are then
 * written once more. That zeroing is the first touch of every page, which costs this VM ~0.3 s a GB, and it was a
 * quarter of the loading threads' JFR samples for a Q4_K_M file. {@code calloc} of a large block maps fresh pages,
 * which the kernel zeroes when they are first written: by the threads that fill them, and once. Measured on that
 * file: load 7.0 → 6.4–6.6 s at two threads (README, Decode benchmark).
 *
 * <p>Where the C library cannot be called (native access denied), {@link Arena#allocate} does the same work.
 */
public final class FreshMemory {
    /** The C library's allocator, or empty where it cannot be called. */
    private record Libc(MethodHandle calloc, MethodHandle free) {
    }

    private static final Optional<Libc> LIBC = lookUp();

    private FreshMemory() {
    }

    /** {@code bytes} of zeroed memory aligned to {@code alignment} (a power of two), freed when {@code arena} closes. */
    public static MemorySegment allocate(Arena arena, long bytes, long alignment) {
        if (LIBC.isEmpty() || bytes < 1 << 20) {
            return arena.allocate(Math.max(bytes, 1), alignment);   // small: the zeroing costs nothing worth a call
        }
        MethodHandle calloc = LIBC.get().calloc(), free = LIBC.get().free();
        long size = bytes + alignment;
        MemorySegment block;
        try {
            block = (MemorySegment) calloc.invokeExact(1L, size);
        } catch (Throwable t) {
            throw new IllegalStateException("calloc of " + size + " bytes failed", t);
        }
        if (block.address() == 0) {
            throw new OutOfMemoryError("calloc of " + size + " bytes returned null: not enough native memory for the weights");
        }
        MemorySegment owned = block.reinterpret(size, arena, segment -> {
            try {
                free.invokeExact(segment);
            } catch (Throwable t) {
                throw new IllegalStateException("free failed", t);
            }
        });
        long skip = -owned.address() & (alignment - 1);
        return owned.asSlice(skip, bytes);
    }

    private static Optional<Libc> lookUp() {
        try {
            Linker linker = Linker.nativeLinker();
            MethodHandle calloc = linker.downcallHandle(linker.defaultLookup().find("calloc").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG));
            MethodHandle free = linker.downcallHandle(linker.defaultLookup().find("free").orElseThrow(),
                    FunctionDescriptor.ofVoid(ValueLayout.ADDRESS));
            return Optional.of(new Libc(calloc, free));
        } catch (RuntimeException e) {   // IllegalCallerException where native access is denied; no calloc found
            return Optional.empty();
        }
    }
}

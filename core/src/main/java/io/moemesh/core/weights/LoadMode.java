package io.moemesh.core.weights;

/**
 * How tensor bytes reach memory. Both keep weights off the Java heap.
 * <ul>
 *   <li>{@link #MMAP}: lazy; pages come from the file cache on first touch. Cheap to start, but this kind of VM
 *       reclaims cold file pages, so a long-running server may re-read weights from disk.</li>
 *   <li>{@link #MEMORY}: each tensor a role opens is read once into off-heap memory it owns (the serving default).</li>
 * </ul>
 */
public enum LoadMode {
    MMAP, MEMORY
}

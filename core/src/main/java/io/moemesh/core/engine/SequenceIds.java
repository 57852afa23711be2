package io.moemesh.core.engine;

import java.util.concurrent.atomic.AtomicLong;

/** Sequence ids unique within this JVM: they key KV caches, here or on an attention-service. */
final class SequenceIds {
    private static final AtomicLong NEXT = new AtomicLong();

    private SequenceIds() {
    }

    static long next() {
        return NEXT.incrementAndGet();
    }
}

package io.moemesh.core.engine;

/** The scheduler's queue is at its bound: the caller should answer 429 / RESOURCE_EXHAUSTED and let the client retry. */
public final class QueueFullException extends RuntimeException {
    public QueueFullException(int bound) {
        super("the server is at capacity: " + bound + " requests already wait for a place in the batch; retry later");
    }
}

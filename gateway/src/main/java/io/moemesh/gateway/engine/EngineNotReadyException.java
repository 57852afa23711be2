package io.moemesh.gateway.engine;

/** The model is still loading (or failed to): HTTP 503, gRPC UNAVAILABLE. */
public final class EngineNotReadyException extends RuntimeException {
    public EngineNotReadyException(String message) {
        super(message);
    }
}

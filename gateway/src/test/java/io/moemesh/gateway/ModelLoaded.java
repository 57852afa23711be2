package io.moemesh.gateway;

import io.moemesh.gateway.engine.GatewayEngine;
import io.quarkus.arc.Arc;

import java.time.Duration;

/** The gateway loads its model in the background once it is up; tests that generate wait for it first. */
public final class ModelLoaded {
    private ModelLoaded() {
    }

    public static void await() {
        GatewayEngine engine = Arc.container().instance(GatewayEngine.class).get();
        try {
            if (!engine.awaitReady(Duration.ofMinutes(3))) {
                throw new IllegalStateException(engine.loadingStatus());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}

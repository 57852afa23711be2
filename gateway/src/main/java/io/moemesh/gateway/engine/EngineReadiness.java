package io.moemesh.gateway.engine;

import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Ready only once the weights are loaded: Kubernetes sends no traffic to a gateway still reading its model. */
@Readiness
@ApplicationScoped
public class EngineReadiness implements HealthCheck {
    private final GatewayEngine engine;

    public EngineReadiness(GatewayEngine engine) {
        this.engine = engine;
    }

    @Override
    public HealthCheckResponse call() {
        var response = HealthCheckResponse.named("model").status(engine.ready()).withData("model", engine.modelId());
        if (!engine.ready()) {
            response.withData("status", engine.loadingStatus());
        }
        return response.build();
    }
}

package io.moemesh.router;

import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/**
 * Ready once the placement is built and every expert of every MoE layer has at least one replica: before that,
 * some tokens could not be computed at all. The data names what is missing and which replicas are down.
 */
@Readiness
@ApplicationScoped
public class PlacementReadiness implements HealthCheck {
    private final RouterMesh mesh;

    public PlacementReadiness(RouterMesh mesh) {
        this.mesh = mesh;
    }

    @Override
    public HealthCheckResponse call() {
        var placement = mesh.placement();
        HealthCheckResponseBuilder r = HealthCheckResponse.named("expert placement")
                .withData("replicas", placement.replicas().size());
        if (!placement.built()) {
            return r.down().withData("missing", "placement not built yet").build();
        }
        List<String> missing = placement.missing();
        placement.down().forEach((endpoint, why) -> r.withData("down " + endpoint, why));
        if (missing.isEmpty()) {
            return r.up().build();
        }
        String shown = String.join(", ", missing.subList(0, Math.min(20, missing.size())))
                + (missing.size() > 20 ? " and " + (missing.size() - 20) + " more" : "");
        return r.down().withData("missing", missing.size() + " without a replica: " + shown).build();
    }
}

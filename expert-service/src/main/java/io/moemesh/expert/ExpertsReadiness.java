package io.moemesh.expert;

import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Ready once the hosted experts are loaded (the bean is built at start-up, so reaching it means loaded). */
@Readiness
@ApplicationScoped
public class ExpertsReadiness implements HealthCheck {
    private final HostedExperts experts;

    public ExpertsReadiness(HostedExperts experts) {
        this.experts = experts;
    }

    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.named("hosted-experts").status(experts.size() > 0)
                .withData("experts", experts.size()).withData("bytes", experts.bytes()).build();
    }
}

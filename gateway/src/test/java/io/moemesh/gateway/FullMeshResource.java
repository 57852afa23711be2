package io.moemesh.gateway;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The whole mesh as real processes on loopback: an attention-service, three expert-services that each host two
 * thirds of every layer's experts (so every expert lives on exactly 2 of them), and a router over them. The
 * gateway under test holds only the head and reaches every role over gRPC.
 */
public class FullMeshResource implements QuarkusTestResourceLifecycleManager {
    /** tiny-qwen3-moe: 4 layers, 16 experts; thirds 0-5, 6-10, 11-15 → each replica two thirds. */
    static final String[] HOSTED = {"0-3:0-10", "0-3:6-15", "0-3:11-15;0-3:0-5"};
    static final List<ServiceProcess> EXPERTS = new ArrayList<>();
    static ServiceProcess attention;
    static ServiceProcess router;

    @Override
    public Map<String, String> start() {
        String model = FixtureModel.dir().toString();
        List<String> endpoints = new ArrayList<>();
        for (String hosted : HOSTED) {
            ServiceProcess expert = ServiceProcess.start("expert-service",
                    Map.of("moemesh.expert.model-dir", model, "moemesh.expert.hosted", hosted));
            EXPERTS.add(expert);
            endpoints.add(expert.endpoint());
        }
        router = ServiceProcess.start("router-service", Map.of("moemesh.router.model-dir", model,
                "moemesh.router.expert-endpoints", String.join(",", endpoints),
                "moemesh.router.expert-timeout-millis", "3000"));
        attention = ServiceProcess.start("attention-service", Map.of("moemesh.attention.model-dir", model));
        return Map.of("moemesh.gateway.model-dir", model,
                "moemesh.gateway.attention-endpoint", attention.endpoint(),
                "moemesh.gateway.router-endpoint", router.endpoint());
    }

    @Override
    public void stop() {
        EXPERTS.forEach(ServiceProcess::close);
        EXPERTS.clear();
        if (router != null) {
            router.close();
        }
        if (attention != null) {
            attention.close();
        }
    }
}

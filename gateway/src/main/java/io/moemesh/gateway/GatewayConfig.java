package io.moemesh.gateway;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.util.Optional;

@ConfigMapping(prefix = "moemesh.gateway")
public interface GatewayConfig {

    /** The checkpoint directory: config.json, tokenizer files, and the embedding and lm_head weights. */
    String modelDir();

    /** The model id clients name in requests and that GET /v1/models lists. */
    @WithDefault("moe-mesh-default")
    String modelId();

    /** host:port of an attention-service; unset runs attention in this process (the default). */
    Optional<String> attentionEndpoint();

    /** Deadline of one remote attention call. */
    @WithDefault("30000")
    long attentionTimeoutMillis();

    /** host:port of a router-service; unset runs the router and every expert in this process (the default). */
    Optional<String> routerEndpoint();

    /** Deadline of one remote feed-forward (router) call, failover among expert replicas included. */
    @WithDefault("30000")
    long routerTimeoutMillis();

    /** How activations travel to remote roles: f32 (exact) or bf16 (half the bytes). */
    @WithDefault("f32")
    String wireDtype();

    /** Sequences decoded together in one step (continuous batching). */
    @WithDefault("32")
    int maxBatch();

    /** Prompt tokens prefilled in one step, over all new sequences: bounds how long a long prompt stalls others. */
    @WithDefault("256")
    int prefillChunk();

    /** Requests waiting for a place in the batch; beyond it a request is refused (RESOURCE_EXHAUSTED / 429). */
    @WithDefault("256")
    int maxQueue();

    /**
     * With a key, every /v1 call needs {@code Authorization: Bearer KEY} (401 otherwise), as vLLM's --api-key does.
     * Environment: MOEMESH_GATEWAY_API_KEY.
     */
    Optional<String> apiKey();

    /** Weight format at load of what the gateway computes (head, and in-process roles): stored, bf16, int8, q4, q4a8, auto. */
    @WithDefault("stored")
    String weights();
}

package io.moemesh.gateway.api;

import io.moemesh.gateway.serving.ServingRequest;

/**
 * A parsed OpenAI request: what to generate, and how to answer (one JSON body, or server-sent events with a usage
 * chunk at the end when {@code stream_options.include_usage} asks for it).
 */
record ApiCall(ServingRequest serving, boolean stream, boolean includeUsage, String model) {
}

package io.moemesh.gateway.api;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.grpc.StatusRuntimeException;
import io.moemesh.core.chat.ChatTemplateException;
import io.moemesh.core.engine.PromptTooLongException;
import io.moemesh.core.engine.QueueFullException;
import io.moemesh.gateway.engine.EngineNotReadyException;
import io.vertx.core.http.HttpServerRequest;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/**
 * Errors in the OpenAI shape, {"error": {"message", "type", "param", "code"}}, which OpenAI clients parse, with the
 * status each kind of failure has: 400 bad request, 401 key, 404 model or route, 429 queue full, 503 loading or a
 * remote role down, 500 a bug.
 */
public class OpenAiErrors {
    private static final Logger LOG = Logger.getLogger(OpenAiErrors.class);

    /** What the API answers for a failure from anywhere below it. */
    public static ApiException toApi(Throwable error) {
        return switch (error) {
            case ApiException e -> e;
            case PromptTooLongException e -> SamplingFields.contextExceeded(e, "messages");
            case QueueFullException e -> new ApiException(429, "rate_limit_error", "queue_full", null, e.getMessage());
            case EngineNotReadyException e -> new ApiException(503, "service_unavailable", "model_loading", null, e.getMessage());
            case ChatTemplateException e -> ApiException.invalid("messages", "the chat template failed: " + e.getMessage());
            case IllegalArgumentException e -> ApiException.invalid(null, e.getMessage());
            case StatusRuntimeException e -> new ApiException(503, "service_unavailable", "remote_role_unavailable", null,
                    "a remote role of the mesh failed: " + e.getStatus().getCode()
                            + (e.getStatus().getDescription() == null ? "" : ": " + e.getStatus().getDescription()));
            default -> {
                LOG.error("request failed", error);
                yield new ApiException(500, "internal_error", null, null, error.toString());
            }
        };
    }

    static ObjectNode body(ApiException e) {
        ObjectNode root = ResponseJson.JSON.createObjectNode();
        ObjectNode error = root.putObject("error");
        error.put("message", e.getMessage()).put("type", e.type()).put("param", e.param()).put("code", e.code());
        return root;
    }

    /** An unknown route under the API, answered as OpenAI answers one. */
    @ServerExceptionMapper
    public Response unknownRoute(NotFoundException e, HttpServerRequest request) {
        return response(new ApiException(404, "invalid_request_error", "unknown_url", null,
                "Invalid URL (" + request.method().name() + " " + request.path() + ")"));
    }

    @ServerExceptionMapper
    public Response apiError(ApiException e) {
        return response(e);
    }

    private static Response response(ApiException e) {
        return Response.status(e.status()).type(MediaType.APPLICATION_JSON_TYPE).entity(body(e).toString()).build();
    }
}

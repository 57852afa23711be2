package io.moemesh.gateway.api;

import io.vertx.core.http.HttpServerRequest;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/** Errors in the OpenAI shape, {"error": {"message", "type", "param", "code"}}, which OpenAI clients parse. */
public class OpenAiErrors {

    public record ErrorResponse(Error error) {}

    public record Error(String message, String type, String param, String code) {}

    /** An unknown route under the API, answered as OpenAI answers one. */
    @ServerExceptionMapper
    public Response unknownRoute(NotFoundException e, HttpServerRequest request) {
        var error = new Error(
                "Invalid URL (" + request.method().name() + " " + request.path() + ")",
                "invalid_request_error",
                null,
                "unknown_url");
        return Response.status(Response.Status.NOT_FOUND)
                .type(MediaType.APPLICATION_JSON_TYPE)
                .entity(new ErrorResponse(error))
                .build();
    }
}

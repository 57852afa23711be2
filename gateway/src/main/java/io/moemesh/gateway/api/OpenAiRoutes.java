package io.moemesh.gateway.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.moemesh.gateway.GatewayConfig;
import io.moemesh.gateway.engine.GatewayEngine;
import io.moemesh.gateway.serving.ServingRun;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.function.BiFunction;

/**
 * {@code POST /v1/chat/completions} and {@code POST /v1/completions} as plain Vert.x routes: one handler decides
 * between a JSON answer and a server-sent-event stream after reading the body, writes chunks as the scheduler
 * produces them, and cancels the generation the moment the client's connection closes. (The JAX-RS layer serves the
 * rest of /v1.) Also the API key check in front of every /v1 route.
 */
@ApplicationScoped
public class OpenAiRoutes {
    /** Bodies beyond this are refused: a full 40k-token conversation is well under 1 MB of JSON. */
    static final long MAX_BODY_BYTES = 32L << 20;

    private final GatewayEngine engine;
    private final byte[] apiKey;

    public OpenAiRoutes(GatewayEngine engine, GatewayConfig config) {
        this.engine = engine;
        this.apiKey = config.apiKey().filter(k -> !k.isBlank()).map(k -> k.getBytes(StandardCharsets.UTF_8)).orElse(null);
    }

    void register(@Observes Router router) {
        router.route("/v1/*").order(-100).handler(this::authenticate);
        router.post("/v1/chat/completions").handler(BodyHandler.create().setBodyLimit(MAX_BODY_BYTES))
                .blockingHandler(ctx -> serve(ctx, true, ChatCompletionParser::parse), false);
        router.post("/v1/completions").handler(BodyHandler.create().setBodyLimit(MAX_BODY_BYTES))
                .blockingHandler(ctx -> serve(ctx, false, CompletionParser::parse), false);
    }

    private void authenticate(RoutingContext ctx) {
        if (apiKey == null) {
            ctx.next();
            return;
        }
        String header = ctx.request().getHeader("Authorization");
        byte[] given = header != null && header.startsWith("Bearer ")
                ? header.substring("Bearer ".length()).trim().getBytes(StandardCharsets.UTF_8) : new byte[0];
        // Constant time, so the key cannot be guessed byte by byte from response times.
        if (MessageDigest.isEqual(apiKey, given)) {
            ctx.next();
            return;
        }
        fail(ctx.response(), new ApiException(401, "invalid_request_error", "invalid_api_key", null,
                header == null ? "Missing API key: send Authorization: Bearer <key>" : "Incorrect API key provided"));
    }

    private void serve(RoutingContext ctx, boolean chat, BiFunction<JsonNode, GatewayEngine, ApiCall> parser) {
        HttpServerResponse response = ctx.response();
        ApiCall call;
        try {
            call = parser.apply(body(ctx), engine);
        } catch (RuntimeException e) {
            fail(response, OpenAiErrors.toApi(e));
            return;
        }
        if (call.stream()) {
            stream(response, call, chat);
        } else {
            answer(response, call, chat);
        }
    }

    private static JsonNode body(RoutingContext ctx) {
        String text = ctx.body().asString();
        if (text == null || text.isBlank()) {
            throw ApiException.invalid(null, "the request has no body; send a JSON object");
        }
        try {
            return ResponseJson.JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw ApiException.invalid(null, "the body is not valid JSON: " + e.getOriginalMessage()
                    + " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")");
        }
    }

    private void answer(HttpServerResponse response, ApiCall call, boolean chat) {
        CompleteResponse complete = new CompleteResponse(call, chat);
        ServingRun run;
        try {
            run = ServingRun.start(engine, call.serving(), complete);
        } catch (RuntimeException e) {
            fail(response, OpenAiErrors.toApi(e));
            return;
        }
        response.closeHandler(v -> run.cancel());
        complete.result().whenComplete((body, error) -> {
            if (error != null) {
                fail(response, OpenAiErrors.toApi(error));
            } else if (!response.closed()) {
                response.putHeader("Content-Type", "application/json").end(body.toString());
            }
        });
    }

    private void stream(HttpServerResponse response, ApiCall call, boolean chat) {
        StreamingResponse events = new StreamingResponse(call, chat, data -> {
            if (!response.closed()) {
                response.write("data: " + data + "\n\n");
            }
        }, () -> {
            if (!response.closed()) {
                response.end();
            }
        });
        // Set before the run starts: its first token may be written from the scheduler's thread at once.
        response.setChunked(true).putHeader("Content-Type", "text/event-stream").putHeader("Cache-Control", "no-cache");
        ServingRun run;
        try {
            run = ServingRun.start(engine, call.serving(), events);
        } catch (RuntimeException e) {
            // Nothing was sent yet, so the refusal still has its status (429, 400, 503).
            fail(response, OpenAiErrors.toApi(e));
            return;
        }
        response.closeHandler(v -> run.cancel());
        // Headers go out now, so a client sees the stream open before the first token (prefill can take a while).
        response.write("");
    }

    private static void fail(HttpServerResponse response, ApiException e) {
        if (response.closed() || response.ended()) {
            return;
        }
        if (response.headWritten()) {
            response.end("data: " + OpenAiErrors.body(e) + "\n\n");
            return;
        }
        response.setStatusCode(e.status()).putHeader("Content-Type", "application/json").end(OpenAiErrors.body(e).toString());
    }
}

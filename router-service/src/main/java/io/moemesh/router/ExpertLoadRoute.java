package io.moemesh.router;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/**
 * {@code GET /expert-load}: tokens routed to each (layer, expert) since start, as the placement planner reads it
 * ({@code ./moe-mesh plan --load}): {@code {"layers":L,"experts":E,"tokens":[[…E counts…], …L rows…]}}.
 * The same numbers are the {@code moemesh_router_expert_tokens_total} series at /q/metrics.
 */
@ApplicationScoped
public class ExpertLoadRoute {
    private final RouterMesh mesh;

    public ExpertLoadRoute(RouterMesh mesh) {
        this.mesh = mesh;
    }

    void register(@Observes Router router) {
        router.get("/expert-load").handler(ctx -> {
            long[][] table = mesh.tokenCounters().snapshot();
            JsonArray rows = new JsonArray();
            for (long[] layer : table) {
                JsonArray row = new JsonArray();
                for (long t : layer) {
                    row.add(t);
                }
                rows.add(row);
            }
            JsonObject body = new JsonObject()
                    .put("layers", mesh.config().numHiddenLayers())
                    .put("experts", Math.max(mesh.config().numExperts(), 0))
                    .put("tokens", rows);
            ctx.response().putHeader("content-type", "application/json").end(body.encode());
        });
    }
}

package io.moemesh.gateway.api;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.moemesh.gateway.GatewayConfig;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import java.time.Instant;
import java.util.List;

/** OpenAI-compatible model listing: the gateway serves exactly one model. */
@Path("/v1")
public class ModelsResource {

    public record ModelList(String object, List<Model> data) {}

    public record Model(String id, String object, long created, @JsonProperty("owned_by") String ownedBy) {}

    private final ModelList models;

    public ModelsResource(GatewayConfig config) {
        long created = Instant.now().getEpochSecond(); // OpenAI clients expect a creation time; ours is startup.
        this.models = new ModelList("list", List.of(new Model(config.modelId(), "model", created, "moe-mesh")));
    }

    @GET
    @Path("/models")
    public ModelList models() {
        return models;
    }
}

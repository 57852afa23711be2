package io.moemesh.gateway.api;

/** The one model this gateway serves, as requests name it. */
final class Models {
    private Models() {
    }

    /**
     * The request's {@code model}, which must be the served one (a missing model means it, as vLLM allows).
     *
     * @throws ApiException 404 model_not_found, as OpenAI answers an unknown model
     */
    static String check(JsonFields f, String served) {
        String model = f.string("model").orElse(served);
        if (!model.equals(served)) {
            throw new ApiException(404, "invalid_request_error", "model_not_found", "model",
                    "The model `" + model + "` does not exist. This server serves `" + served + "`.");
        }
        return model;
    }
}

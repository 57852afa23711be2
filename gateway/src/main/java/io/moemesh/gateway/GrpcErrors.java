package io.moemesh.gateway;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.moemesh.gateway.api.ApiException;
import io.moemesh.gateway.api.OpenAiErrors;

/**
 * Every failure the gateway's gRPC API reports, as the status a client gets: a remote role's failure keeps its code
 * (a deadline means the role is unavailable); anything else takes the code of the HTTP status the OpenAI API gives
 * it, so both APIs refuse the same request the same way.
 */
final class GrpcErrors {
    private GrpcErrors() {
    }

    static StatusRuntimeException of(Throwable error) {
        if (error instanceof StatusRuntimeException e) {
            Status.Code code = e.getStatus().getCode() == Status.Code.DEADLINE_EXCEEDED ? Status.Code.UNAVAILABLE
                    : e.getStatus().getCode();
            String why = e.getStatus().getDescription() != null ? e.getStatus().getDescription() : e.getStatus().getCode().toString();
            return Status.fromCode(code).withDescription("remote role: " + why).asRuntimeException();
        }
        ApiException api = OpenAiErrors.toApi(error);
        Status status = switch (api.status()) {
            case 404 -> Status.NOT_FOUND;
            case 429 -> Status.RESOURCE_EXHAUSTED;
            case 503 -> Status.UNAVAILABLE;
            case 500 -> Status.INTERNAL;
            default -> Status.INVALID_ARGUMENT;
        };
        return status.withDescription(api.param() == null ? api.getMessage() : api.param() + ": " + api.getMessage())
                .asRuntimeException();
    }
}

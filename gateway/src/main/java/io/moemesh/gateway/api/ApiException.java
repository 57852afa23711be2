package io.moemesh.gateway.api;

/**
 * A request the API refuses, with the HTTP status and the OpenAI error fields clients read: {@code type} (e.g.
 * invalid_request_error), {@code code} (e.g. model_not_found) and the {@code param} at fault.
 */
public final class ApiException extends RuntimeException {
    private final int status;
    private final String type;
    private final String code;
    private final String param;

    public ApiException(int status, String type, String code, String param, String message) {
        super(message);
        this.status = status;
        this.type = type;
        this.code = code;
        this.param = param;
    }

    /** 400: a parameter is missing, of the wrong type, or out of range. */
    public static ApiException invalid(String param, String message) {
        return new ApiException(400, "invalid_request_error", null, param, message);
    }

    public int status() {
        return status;
    }

    public String type() {
        return type;
    }

    public String code() {
        return code;
    }

    public String param() {
        return param;
    }
}

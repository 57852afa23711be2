package io.moemesh.core.config;

/** A config.json that cannot describe a model we can run; the message names the file and the key. */
public class ConfigException extends RuntimeException {
    public ConfigException(String message) {
        super(message);
    }

    public ConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}

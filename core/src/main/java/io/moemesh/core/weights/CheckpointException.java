package io.moemesh.core.weights;

/** A checkpoint file that cannot be used as it is; the message names the file and, where there is one, the tensor. */
public class CheckpointException extends RuntimeException {
    public CheckpointException(String message) {
        super(message);
    }

    public CheckpointException(String message, Throwable cause) {
        super(message, cause);
    }
}

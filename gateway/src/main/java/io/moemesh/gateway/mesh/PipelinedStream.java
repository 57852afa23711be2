package io.moemesh.gateway.mesh;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.StreamObserver;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * One long-lived bidirectional stream to a remote role, used as a pipeline: a layer's requests (one per sequence for
 * attention, one for the router) go out back to back and their answers come back in order, so a step pays one round
 * trip per layer and no call set-up. A stream that fails or times out is dropped and the next exchange opens a new
 * one: a transient failure costs one step, never the connection for good.
 */
final class PipelinedStream<Q, R> implements AutoCloseable {
    /** What the server said when it ended the stream: an error or an early completion. */
    private record Ended(Status status) {
    }

    private final Function<StreamObserver<R>, StreamObserver<Q>> open;
    private final String role;
    private StreamObserver<Q> requests;
    private LinkedBlockingQueue<Object> answers;

    /** @param open starts the call, e.g. {@code stub::forwardStream} */
    PipelinedStream(String role, Function<StreamObserver<R>, StreamObserver<Q>> open) {
        this.role = role;
        this.open = open;
    }

    /**
     * Sends {@code batch} and waits for as many answers, in order.
     *
     * @throws StatusRuntimeException the server's status, or DEADLINE_EXCEEDED after {@code timeoutMillis}
     */
    synchronized List<R> exchange(List<Q> batch, long timeoutMillis) {
        if (requests == null) {
            LinkedBlockingQueue<Object> queue = new LinkedBlockingQueue<>();
            answers = queue;
            requests = open.apply(new StreamObserver<>() {
                @Override
                public void onNext(R value) {
                    queue.add(value);
                }

                @Override
                public void onError(Throwable t) {
                    queue.add(new Ended(Status.fromThrowable(t)));
                }

                @Override
                public void onCompleted() {
                    queue.add(new Ended(Status.UNAVAILABLE.withDescription(role + " closed the stream")));
                }
            });
        }
        for (Q q : batch) {
            requests.onNext(q);
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        List<R> out = new ArrayList<>(batch.size());
        try {
            while (out.size() < batch.size()) {
                Object answer = answers.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
                if (answer == null) {
                    drop(Status.DEADLINE_EXCEEDED);
                    throw Status.DEADLINE_EXCEEDED.withDescription(role + " did not answer within " + timeoutMillis + " ms")
                            .asRuntimeException();
                }
                if (answer instanceof Ended ended) {
                    requests = null;
                    throw ended.status().asRuntimeException();
                }
                @SuppressWarnings("unchecked") R r = (R) answer;
                out.add(r);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            drop(Status.CANCELLED);
            throw Status.CANCELLED.withDescription("interrupted while waiting for " + role).asRuntimeException();
        }
        return out;
    }

    /** Cancels the stream; answers still on their way go to a queue nobody reads. */
    private void drop(Status why) {
        if (requests instanceof ClientCallStreamObserver<Q> call) {
            call.cancel(why.getCode().toString(), null);
        } else if (requests != null) {
            requests.onError(why.asRuntimeException());
        }
        requests = null;
    }

    @Override
    public synchronized void close() {
        if (requests != null) {
            try {
                requests.onCompleted();
            } catch (RuntimeException ignored) {
                // the channel is going away anyway
            }
            requests = null;
        }
    }
}

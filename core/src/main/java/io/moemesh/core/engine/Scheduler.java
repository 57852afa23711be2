package io.moemesh.core.engine;

import io.moemesh.core.config.Qwen3Config;
import io.moemesh.core.nn.Qwen3Model;
import io.moemesh.core.nn.SequenceChunk;
import io.moemesh.core.sampling.Logprobs;
import io.moemesh.core.sampling.Sampler;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;

/**
 * Continuous batching: one thread runs the model step after step, and every step carries the next tokens of each
 * running sequence. New requests join at the next step; finished ones leave at once. A prompt is prefilled in chunks
 * of at most {@code prefillChunk} tokens a step (shared by all prefilling sequences) so a long prompt does not stall
 * the streams already decoding. In a mesh a step costs one round trip per layer for the whole batch, which is
 * what makes a remote router affordable.
 */
public final class Scheduler implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Scheduler.class.getName());

    /**
     * @param maxBatch     sequences in one step
     * @param prefillChunk prompt tokens in one step, over all sequences still prefilling
     * @param maxQueue     requests waiting for a place in the batch before {@link QueueFullException}
     */
    public record Options(int maxBatch, int prefillChunk, int maxQueue) {
        public static final Options DEFAULT = new Options(32, 256, 256);

        public Options {
            if (maxBatch < 1 || prefillChunk < 1 || maxQueue < 0) {
                throw new IllegalArgumentException("scheduler options must be positive: " + maxBatch + ", "
                        + prefillChunk + ", " + maxQueue);
            }
        }
    }

    /** A submitted generation, as its submitter holds it. */
    public static final class Generation {
        private volatile boolean cancelled;

        /** Stops the generation and frees its KV cache at the next step (the client went away). */
        public void cancel() {
            cancelled = true;
        }
    }

    private final Qwen3Model model;
    private final Qwen3Config config;
    private final Options options;
    private final ArrayDeque<Running> queue = new ArrayDeque<>();
    private final List<Running> running = new ArrayList<>();
    private final Thread thread;
    private volatile boolean closed;
    /** running.size(), readable from other threads (the list itself belongs to the scheduler's thread). */
    private volatile int runningCount;
    private long steps;
    private long stepSequences;

    public Scheduler(Qwen3Model model, Options options) {
        this.model = model;
        this.config = model.config();
        this.options = options;
        this.thread = Thread.ofPlatform().name("moemesh-scheduler").daemon().start(this::loop);
    }

    /**
     * Queues a generation; its tokens go to {@code sink} on the scheduler's thread.
     *
     * @throws IllegalArgumentException the request is invalid for this model (nothing was queued)
     * @throws QueueFullException       too many requests are waiting
     */
    public Generation submit(GenerationRequest request, TokenSink sink) {
        request.validate(config);
        Running r = new Running(request, sink);
        synchronized (this) {
            if (closed) {
                throw new IllegalStateException("the scheduler is shut down");
            }
            if (queue.size() >= options.maxQueue()) {
                throw new QueueFullException(options.maxQueue());
            }
            queue.add(r);
            notifyAll();
        }
        return r.handle;
    }

    /** Sequences in the running batch (queue depth is {@link #queued()}). */
    public int running() {
        return runningCount;
    }

    /** Requests waiting for a place in the batch. */
    public synchronized int queued() {
        return queue.size();
    }

    /** Steps run so far (for tests and metrics). */
    public synchronized long steps() {
        return steps;
    }

    /** Sequences in those steps, summed: divided by {@link #steps()}, the mean batch. */
    public synchronized long stepSequences() {
        return stepSequences;
    }

    private void loop() {
        while (true) {
            synchronized (this) {
                while (!closed && queue.isEmpty() && running.isEmpty()) {
                    try {
                        wait();
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                if (closed) {
                    return;
                }
                while (running.size() < options.maxBatch() && !queue.isEmpty()) {
                    running.add(queue.poll());
                }
                runningCount = running.size();
            }
            step();
            runningCount = running.size();
        }
    }

    /** One forward step over the running sequences, then sampling, streaming and retiring. */
    private void step() {
        retireFinished();
        List<Running> inStep = new ArrayList<>();
        List<SequenceChunk> chunks = new ArrayList<>();
        int prefillLeft = options.prefillChunk();
        for (Running r : running) {
            SequenceChunk chunk = r.nextChunk(prefillLeft);
            if (chunk != null) {
                if (r.prefilling()) {
                    prefillLeft -= chunk.tokens().length;
                }
                inStep.add(r);
                chunks.add(chunk);
            }
        }
        if (chunks.isEmpty()) {
            return;
        }
        float[][] logits = new float[chunks.size()][];
        for (int i = 0; i < logits.length; i++) {
            logits[i] = chunks.get(i).wantsLogits() ? inStep.get(i).logits() : null;
        }
        try {
            model.step(chunks, logits);
        } catch (RuntimeException e) {
            // A failed layer call leaves the step's KV caches half-written: every sequence in the step ends here.
            // Requests that were queued or arrive later run on.
            LOG.log(System.Logger.Level.WARNING, "step of " + chunks.size() + " sequences failed: " + e.getMessage());
            for (Running r : inStep) {
                running.remove(r);
                r.fail(e);
            }
            return;
        }
        synchronized (this) {
            steps++;
            stepSequences += chunks.size();
        }
        for (int i = 0; i < inStep.size(); i++) {
            Running r = inStep.get(i);
            r.advance(chunks.get(i).tokens().length);
            if (logits[i] != null && r.sample(logits[i])) {
                running.remove(r);
                r.finish();
            }
        }
    }

    /** Cancelled generations, and those with nothing to produce (max tokens 0), leave before the step. */
    private void retireFinished() {
        for (Iterator<Running> it = running.iterator(); it.hasNext(); ) {
            Running r = it.next();
            if (r.handle.cancelled || r.budget == 0) {
                it.remove();
                r.finishReason = r.handle.cancelled ? "cancelled" : "length";
                r.finish();
            }
        }
    }

    /** Stops the thread; running and queued generations fail with a message that says why. */
    @Override
    public void close() {
        synchronized (this) {
            closed = true;
            notifyAll();
        }
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        List<Running> left = new ArrayList<>(running);
        synchronized (this) {
            left.addAll(queue);
            queue.clear();
        }
        running.clear();
        for (Running r : left) {
            r.fail(new IllegalStateException("the server is shutting down"));
        }
    }

    /** A generation in the batch: its prompt progress, sampler and output. */
    private final class Running {
        final Generation handle = new Generation();
        final GenerationRequest request;
        final TokenSink sink;
        final long sequenceId = SequenceIds.next();
        final int budget;
        final int[] generated;
        final long admitted = System.nanoTime();
        Sampler sampler;
        /** This sequence's logits, rewritten every step it samples. */
        float[] logits;
        int prefilled;
        int produced;
        /** Generated tokens already fed back to the model. */
        int fed;
        long firstTokenNanos;
        String finishReason = "length";

        Running(GenerationRequest request, TokenSink sink) {
            this.request = request;
            this.sink = sink;
            this.budget = request.budget(config);
            this.generated = new int[budget];
        }

        float[] logits() {
            if (logits == null) {
                logits = new float[config.vocabSize()];
            }
            return logits;
        }

        boolean prefilling() {
            return prefilled < request.prompt().length;
        }

        /**
         * This step's tokens, or null when the prefill budget of the step is spent (it waits a step). Decoding feeds
         * every generated token the model has not seen: the last sampled one, and any forced after it.
         */
        SequenceChunk nextChunk(int prefillLeft) {
            int[] prompt = request.prompt();
            if (!prefilling()) {
                return new SequenceChunk(sequenceId, Arrays.copyOfRange(generated, fed, produced), true);
            }
            int n = Math.min(prompt.length - prefilled, prefillLeft);
            if (n <= 0) {
                return null;
            }
            return new SequenceChunk(sequenceId, Arrays.copyOfRange(prompt, prefilled, prefilled + n),
                    prefilled + n == prompt.length);
        }

        void advance(int tokens) {
            if (prefilling()) {
                prefilled += tokens;
            } else {
                fed += tokens;
            }
        }

        /** @return whether the generation is done */
        boolean sample(float[] logits) {
            if (sampler == null) {
                sampler = new Sampler(request.params(), config.vocabSize(), request.prompt());
                firstTokenNanos = System.nanoTime();
            }
            // Logprobs are of the model's own distribution, so they are read before bias and penalties change it.
            double logSumExp = request.topLogprobs() >= 0 ? Logprobs.logSumExp(logits) : Double.NaN;
            int[] top = request.topLogprobs() > 0 ? Logprobs.top(logits, request.topLogprobs()) : null;
            float[] topLogprobs = top == null ? null : new float[top.length];
            for (int i = 0; top != null && i < top.length; i++) {
                topLogprobs[i] = (float) (logits[top[i]] - logSumExp);
            }
            float[] raw = request.topLogprobs() >= 0 ? logits.clone() : null;
            request.logitBias().forEach((id, bias) -> logits[id] += bias);
            int token = sampler.sample(logits);
            sampler.accept(token);
            generated[produced++] = token;
            if (request.stopTokens().contains(token)) {
                finishReason = "stop";
                return true;
            }
            GeneratedToken out = raw == null ? GeneratedToken.sampled(token)
                    : new GeneratedToken(token, false, (float) (raw[token] - logSumExp),
                    top == null ? new int[0] : top, top == null ? new float[0] : topLogprobs);
            if (!deliver(out)) {
                return true;
            }
            int[] forced = request.steering() == null ? Steering.NONE : request.steering().after(token);
            for (int i = 0; i < forced.length && produced < budget; i++) {
                sampler.accept(forced[i]);
                generated[produced++] = forced[i];
                if (!deliver(GeneratedToken.forced(forced[i]))) {
                    return true;
                }
            }
            return produced == budget;
        }

        /** Hands a token to the sink; false when the sink wants no more (then the generation ends with "stop"). */
        private boolean deliver(GeneratedToken token) {
            boolean more;
            try {
                more = sink.onToken(token);
            } catch (RuntimeException e) {
                more = false;
                LOG.log(System.Logger.Level.WARNING, "token sink of sequence " + sequenceId + " failed: " + e);
            }
            if (!more) {
                finishReason = "stop";
            }
            return more;
        }

        void finish() {
            model.release(sequenceId);
            long end = System.nanoTime();
            long prefill = firstTokenNanos == 0 ? 0 : firstTokenNanos - admitted;
            long decode = firstTokenNanos == 0 ? 0 : end - firstTokenNanos;
            sink.onFinish(new GenerationResult(request.prompt().clone(), Arrays.copyOf(generated, produced),
                    finishReason, prefill, decode));
        }

        void fail(RuntimeException e) {
            try {
                model.release(sequenceId);
            } finally {
                sink.onError(e);
            }
        }
    }
}

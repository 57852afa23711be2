package io.moemesh.core.engine;

import io.moemesh.core.ReferenceFixture;
import io.moemesh.core.kernel.MatMul;
import io.moemesh.core.nn.Qwen3Model;
import io.moemesh.core.roles.FeedForwardBackend;
import io.moemesh.core.roles.LocalAttention;
import io.moemesh.core.roles.LocalExperts;
import io.moemesh.core.roles.LocalFeedForward;
import io.moemesh.core.sampling.SamplingParams;
import io.moemesh.core.weights.Checkpoint;
import io.moemesh.core.weights.LoadMode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.*;

/** Continuous batching on a reference model: same tokens as one at a time, fewer steps, caches freed. */
class SchedulerTest {
    private static Checkpoint checkpoint;
    private static LocalAttention attention;
    private static final AtomicBoolean FAIL_FEED_FORWARD = new AtomicBoolean();
    private static Qwen3Model model;

    @BeforeAll
    static void load() {
        checkpoint = Checkpoint.open(ReferenceFixture.modelDir("tiny-qwen3-moe"), LoadMode.MEMORY);
        attention = new LocalAttention(checkpoint, MatMul.vector());
        FeedForwardBackend local = new LocalFeedForward(checkpoint,
                new LocalExperts(checkpoint, (layer, expert) -> true, MatMul.vector()), MatMul.vector());
        // A feed-forward role that can be made to fail, as a remote router does when an expert has no replica.
        FeedForwardBackend switchable = new FeedForwardBackend() {
            @Override
            public Output forward(int layer, float[] normedHidden, int tokens) {
                if (FAIL_FEED_FORWARD.get()) {
                    throw new IllegalStateException("no live replica for expert 3 of layer " + layer);
                }
                return local.forward(layer, normedHidden, tokens);
            }
        };
        model = Qwen3Model.load(checkpoint, attention, switchable, MatMul.vector());
    }

    @AfterAll
    static void close() {
        model.close();
        checkpoint.close();
    }

    /** Collects one generation's stream. */
    static class Collector implements TokenSink {
        final List<Integer> streamed = new ArrayList<>();
        final CompletableFuture<GenerationResult> done = new CompletableFuture<>();

        @Override
        public boolean onToken(GeneratedToken generated) {
            streamed.add(generated.id());
            return true;
        }

        @Override
        public void onFinish(GenerationResult result) {
            done.complete(result);
        }

        @Override
        public void onError(RuntimeException error) {
            done.completeExceptionally(error);
        }

        GenerationResult await() throws Exception {
            return done.get(60, TimeUnit.SECONDS);
        }
    }

    private static int[] prompt(int length, int seed) {
        int[] p = new int[length];
        for (int i = 0; i < length; i++) {
            p[i] = (seed * 7919 + i * 104729) % model.config().vocabSize();
        }
        return p;
    }

    @Test
    void batchedSequencesGetExactlyTheirOneAtATimeTokensInFewerSteps() throws Exception {
        int[] lengths = {1, 3, 9, 17, 4, 12};
        int maxNew = 10;
        List<int[]> expected = new ArrayList<>();
        for (int i = 0; i < lengths.length; i++) {
            expected.add(new Generator(model).generate(prompt(lengths[i], i), maxNew, SamplingParams.GREEDY, Set.of(),
                    t -> true).generatedIds());
        }
        // Batch 4 < 6 requests: two wait and join as others finish; chunks of 5 split the longer prompts.
        try (Scheduler scheduler = new Scheduler(model, new Scheduler.Options(4, 5, 16))) {
            List<Collector> collectors = new ArrayList<>();
            for (int i = 0; i < lengths.length; i++) {
                Collector c = new Collector();
                scheduler.submit(new GenerationRequest(prompt(lengths[i], i), maxNew, SamplingParams.GREEDY, Set.of()), c);
                collectors.add(c);
            }
            for (int i = 0; i < lengths.length; i++) {
                GenerationResult r = collectors.get(i).await();
                assertArrayEquals(expected.get(i), r.generatedIds(), "sequence " + i);
                assertEquals(r.generatedIds().length, collectors.get(i).streamed.size());
                assertEquals("length", r.finishReason());
            }
            // One at a time would take at least 6 × 10 steps; batched, the decode steps are shared.
            assertTrue(scheduler.steps() < 40, "steps: " + scheduler.steps());
        }
        for (long id = 0; id < 1000; id++) {
            assertEquals(0, attention.cachedTokens(id), "KV cache of sequence " + id + " was not freed");
        }
    }

    @Test
    void aRequestJoinsARunningBatchAtTheNextStep() throws Exception {
        int[] expected = new Generator(model).generate(prompt(5, 42), 8, SamplingParams.GREEDY, Set.of(), t -> true)
                .generatedIds();
        try (Scheduler scheduler = new Scheduler(model, Scheduler.Options.DEFAULT)) {
            CountDownLatch started = new CountDownLatch(3);
            Collector late = new Collector();
            Collector longOne = new Collector() {
                @Override
                public boolean onToken(GeneratedToken generated) {
                    started.countDown();
                    // a tiny model decodes 60 tokens in milliseconds: pace the long one (2 ms a step) so that
                    // "finishes first" tests joining the batch, not how soon this thread gets a core back
                    try {
                        Thread.sleep(2);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    return super.onToken(generated);
                }
            };
            scheduler.submit(new GenerationRequest(prompt(6, 1), 60, SamplingParams.GREEDY, Set.of()), longOne);
            assertTrue(started.await(30, TimeUnit.SECONDS));
            scheduler.submit(new GenerationRequest(prompt(5, 42), 8, SamplingParams.GREEDY, Set.of()), late);
            assertArrayEquals(expected, late.await().generatedIds());
            assertFalse(longOne.done.isDone(), "the late request finished while the long one still ran");
            assertEquals(60, longOne.await().generatedIds().length);
        }
    }

    @Test
    void cancellingFreesTheCacheAtTheNextStep() throws Exception {
        try (Scheduler scheduler = new Scheduler(model, Scheduler.Options.DEFAULT)) {
            AtomicInteger tokens = new AtomicInteger();
            Scheduler.Generation[] handle = new Scheduler.Generation[1];
            CountDownLatch submitted = new CountDownLatch(1);
            Collector c = new Collector() {
                @Override
                public boolean onToken(GeneratedToken generated) {
                    try {
                        submitted.await();
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                    if (tokens.incrementAndGet() == 3) {
                        handle[0].cancel();
                    }
                    return super.onToken(generated);
                }
            };
            handle[0] = scheduler.submit(new GenerationRequest(prompt(4, 3), 100, SamplingParams.GREEDY, Set.of()), c);
            submitted.countDown();
            GenerationResult r = c.await();
            assertEquals("cancelled", r.finishReason());
            assertEquals(3, r.generatedIds().length);
            for (long id = 0; id < 1000; id++) {
                assertEquals(0, attention.cachedTokens(id));
            }
        }
    }

    @Test
    void aFullQueueRefusesAndTheOthersStillComplete() throws Exception {
        try (Scheduler scheduler = new Scheduler(model, new Scheduler.Options(1, 64, 1))) {
            CountDownLatch release = new CountDownLatch(1);
            CountDownLatch inStep = new CountDownLatch(1);
            Collector blocking = new Collector() {
                @Override
                public boolean onToken(GeneratedToken generated) {
                    inStep.countDown();
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                    return super.onToken(generated);
                }
            };
            scheduler.submit(new GenerationRequest(prompt(3, 5), 2, SamplingParams.GREEDY, Set.of()), blocking);
            assertTrue(inStep.await(30, TimeUnit.SECONDS));
            Collector queued = new Collector();
            scheduler.submit(new GenerationRequest(prompt(3, 6), 2, SamplingParams.GREEDY, Set.of()), queued);
            QueueFullException full = assertThrows(QueueFullException.class, () -> scheduler.submit(
                    new GenerationRequest(prompt(3, 7), 2, SamplingParams.GREEDY, Set.of()), new Collector()));
            assertTrue(full.getMessage().contains("1 requests already wait"), full.getMessage());
            release.countDown();
            assertEquals(2, blocking.await().generatedIds().length);
            assertEquals(2, queued.await().generatedIds().length);
        }
    }

    @Test
    void aFailedStepFailsItsSequencesAndTheNextRequestSucceeds() throws Exception {
        try (Scheduler scheduler = new Scheduler(model, Scheduler.Options.DEFAULT)) {
            FAIL_FEED_FORWARD.set(true);
            Collector failing = new Collector();
            scheduler.submit(new GenerationRequest(prompt(3, 8), 4, SamplingParams.GREEDY, Set.of()), failing);
            Exception e = assertThrows(Exception.class, failing::await);
            assertTrue(e.getCause().getMessage().contains("expert 3 of layer 0"), e.getCause().getMessage());
            FAIL_FEED_FORWARD.set(false);
            Collector next = new Collector();
            scheduler.submit(new GenerationRequest(prompt(3, 8), 4, SamplingParams.GREEDY, Set.of()), next);
            assertEquals(4, next.await().generatedIds().length);
        } finally {
            FAIL_FEED_FORWARD.set(false);
        }
        for (long id = 0; id < 1000; id++) {
            assertEquals(0, attention.cachedTokens(id));
        }
    }

    @Test
    void anInvalidRequestIsRefusedBeforeItIsQueued() {
        try (Scheduler scheduler = new Scheduler(model, Scheduler.Options.DEFAULT)) {
            var e = assertThrows(IllegalArgumentException.class, () -> scheduler.submit(
                    new GenerationRequest(new int[]{1, -4}, 4, SamplingParams.GREEDY, Set.of()), new Collector()));
            assertTrue(e.getMessage().contains("token id -4"), e.getMessage());
            assertEquals(0, scheduler.queued());
        }
    }

    @Test
    void maxTokensZeroFinishesWithoutAStep() throws Exception {
        try (Scheduler scheduler = new Scheduler(model, Scheduler.Options.DEFAULT)) {
            Collector c = new Collector();
            scheduler.submit(new GenerationRequest(prompt(3, 9), 0, SamplingParams.GREEDY, Set.of()), c);
            GenerationResult r = c.await();
            assertEquals(0, r.generatedIds().length);
            assertEquals("length", r.finishReason());
            assertEquals(0, scheduler.steps());
        }
    }

    @Test
    void forcedTokensAreFedToTheModelAsIfItHadProducedThem() throws Exception {
        int[] forced = {11, 22, 33};
        int[] start = prompt(4, 13);
        try (Scheduler scheduler = new Scheduler(model, Scheduler.Options.DEFAULT)) {
            Collector c = new Collector();
            List<Boolean> flags = new ArrayList<>();
            Steering afterSecond = new Steering() {
                int seen;

                @Override
                public int[] after(int token) {
                    return ++seen == 2 ? forced : NONE;
                }
            };
            scheduler.submit(new GenerationRequest(start, 9, SamplingParams.GREEDY, Set.of(), -1, java.util.Map.of(),
                    afterSecond), new Collector() {
                @Override
                public boolean onToken(GeneratedToken generated) {
                    flags.add(generated.forced());
                    return c.onToken(generated);
                }

                @Override
                public void onFinish(GenerationResult result) {
                    c.onFinish(result);
                }
            });
            int[] got = c.await().generatedIds();
            assertEquals(9, got.length);
            assertArrayEquals(forced, java.util.Arrays.copyOfRange(got, 2, 5));
            assertEquals(List.of(false, false, true, true, true, false, false, false, false), flags);
            // What follows is what the model continues from the prompt, its two tokens and the forced three.
            int[] seen = java.util.stream.IntStream.concat(java.util.Arrays.stream(start),
                    java.util.Arrays.stream(got, 0, 5)).toArray();
            int[] continuation = new Generator(model).generate(seen, 4, SamplingParams.GREEDY, Set.of(), t -> true)
                    .generatedIds();
            assertArrayEquals(continuation, java.util.Arrays.copyOfRange(got, 5, 9));
        }
    }

    @Test
    void logprobsAreTheModelsLogSoftmaxAndLogitBiasSteersSampling() throws Exception {
        int[] start = prompt(5, 21);
        float[] logits = model.forward(SequenceIds.next(), start, false, null);
        double logZ = io.moemesh.core.sampling.Logprobs.logSumExp(logits);
        int greedy = io.moemesh.core.sampling.Sampler.argmax(logits);
        int second = io.moemesh.core.sampling.Logprobs.top(logits, 2)[1];
        try (Scheduler scheduler = new Scheduler(model, Scheduler.Options.DEFAULT)) {
            List<GeneratedToken> tokens = new ArrayList<>();
            Collector c = new Collector() {
                @Override
                public boolean onToken(GeneratedToken generated) {
                    tokens.add(generated);
                    return super.onToken(generated);
                }
            };
            scheduler.submit(new GenerationRequest(start, 1, SamplingParams.GREEDY, Set.of(), 3, java.util.Map.of(),
                    null), c);
            c.await();
            GeneratedToken first = tokens.getFirst();
            assertEquals(greedy, first.id());
            assertEquals(logits[greedy] - logZ, first.logprob(), 1e-5);
            assertEquals(3, first.topIds().length);
            assertEquals(greedy, first.topIds()[0]);
            assertEquals(second, first.topIds()[1]);
            assertEquals(logits[second] - logZ, first.topLogprobs()[1], 1e-5);

            // +100 on the second choice makes it the greedy one; its reported logprob stays the model's own.
            Collector biased = new Collector();
            List<GeneratedToken> biasedTokens = new ArrayList<>();
            scheduler.submit(new GenerationRequest(start, 1, SamplingParams.GREEDY, Set.of(), 0,
                    java.util.Map.of(second, 100f), null), new Collector() {
                @Override
                public boolean onToken(GeneratedToken generated) {
                    biasedTokens.add(generated);
                    return biased.onToken(generated);
                }

                @Override
                public void onFinish(GenerationResult result) {
                    biased.onFinish(result);
                }
            });
            biased.await();
            assertEquals(second, biasedTokens.getFirst().id());
            assertEquals(logits[second] - logZ, biasedTokens.getFirst().logprob(), 1e-5);
            assertEquals(0, biasedTokens.getFirst().topIds().length);
        }
    }

    @Test
    void aThinkingBudgetClosesTheThinkBlockAfterExactlyThatManyTokens() {
        int open = 900, close = 901;
        int[] closing = {7, 8, close, 9};
        ThinkingBudget budget = new ThinkingBudget(3, open, close, closing, true);
        assertArrayEquals(Steering.NONE, budget.after(5));
        assertArrayEquals(Steering.NONE, budget.after(6));
        assertArrayEquals(closing, budget.after(5));
        assertArrayEquals(Steering.NONE, budget.after(5), "only once");

        ThinkingBudget opensItself = new ThinkingBudget(2, open, close, closing, false);
        assertArrayEquals(Steering.NONE, opensItself.after(4), "before <think> nothing counts");
        assertArrayEquals(Steering.NONE, opensItself.after(open));
        assertArrayEquals(Steering.NONE, opensItself.after(4));
        assertArrayEquals(closing, opensItself.after(4));

        ThinkingBudget closedInTime = new ThinkingBudget(2, open, close, closing, true);
        assertArrayEquals(Steering.NONE, closedInTime.after(close));
        assertArrayEquals(Steering.NONE, closedInTime.after(4));
        assertArrayEquals(Steering.NONE, closedInTime.after(4));

        assertTrue(ThinkingBudget.opensThinking(new int[]{1, open, 3}, open, close));
        assertFalse(ThinkingBudget.opensThinking(new int[]{open, 3, close, 4}, open, close));
        assertFalse(ThinkingBudget.opensThinking(new int[]{1, 2}, open, close));
    }

    @Test
    void aPromptThatFillsTheContextIsRefusedWithItsLengths() {
        int context = model.config().maxPositionEmbeddings();
        var e = assertThrows(PromptTooLongException.class, () -> new GenerationRequest(new int[context], 1,
                SamplingParams.GREEDY, Set.of()).validate(model.config()));
        assertEquals(context, e.promptTokens());
        assertEquals(context, e.contextTokens());
    }
}

package io.moemesh.core.roles;

import io.moemesh.core.ReferenceFixture;
import io.moemesh.core.kernel.MatMul;
import io.moemesh.core.nn.KvCache;
import io.moemesh.core.weights.Checkpoint;
import io.moemesh.core.weights.LoadMode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The KV pages of released sequences serve the next ones ({@link io.moemesh.core.nn.KvPages}): no new page, the same
 * outputs as fresh pages, and a release racing a step of the same sequence neither breaks that step nor lets its
 * pages into another sequence while it still writes them.
 */
class LocalAttentionPagesTest {
    private static Checkpoint checkpoint;
    private static int hidden;

    @BeforeAll
    static void open() {
        checkpoint = Checkpoint.open(ReferenceFixture.modelDir("tiny-qwen3-moe"), LoadMode.MEMORY);
        hidden = checkpoint.config().hiddenSize();
    }

    @AfterAll
    static void close() {
        checkpoint.close();
    }

    @Test
    void aReleasedSequencesPagesServeTheNextWithTheSameOutputs() {
        LocalAttention pooled = new LocalAttention(checkpoint, MatMul.vector());
        LocalAttention fresh = new LocalAttention(checkpoint, MatMul.vector());
        Random random = new Random(7);
        // a longer sequence first: its pages hold other keys and values past where the next one ends
        for (int layer = 0; layer < 2; layer++) {
            pooled.attend(layer, 1, rows(random, 3 * KvCache.PAGE), 3 * KvCache.PAGE);
        }
        long created = pooled.pages().createdPages();
        assertEquals(2 * 2 * 3, created, "keys and values, 3 pages each, 2 layers");
        long pageBytes = 4L * KvCache.PAGE * checkpoint.config().kvDim();
        assertEquals(created * pageBytes, pooled.pages().usedBytes());
        assertEquals(0, pooled.pages().freeBytes());
        pooled.release(1);
        assertEquals(created, pooled.pages().freePages());
        assertEquals(created * pageBytes, pooled.pages().freeBytes());
        assertEquals(0, pooled.pages().usedBytes());

        int prompt = KvCache.PAGE + 20;
        List<float[]> steps = new ArrayList<>();
        steps.add(rows(random, prompt));
        for (int s = 0; s < KvCache.PAGE; s++) {
            steps.add(rows(random, 1));   // decoding across the second page's end
        }
        for (int layer = 0; layer < 2; layer++) {
            for (float[] x : steps) {
                int tokens = x.length / hidden;
                float[] expected = fresh.attend(layer, 2, x, tokens).clone();
                float[] actual = pooled.attend(layer, 2, x, tokens).clone();
                assertArrayEquals(expected, actual, "layer " + layer + ", " + tokens + " token(s)");
            }
        }
        assertEquals(created, pooled.pages().createdPages(), "every page came from the released sequence");
        assertEquals(0, pooled.pages().freePages());
        assertEquals(created * pageBytes, pooled.pages().usedBytes(), "3 pages of keys and 3 of values (2 pages and 20 positions) at 2 layers");
    }

    /**
     * Sequences that take pages from the pool run while others are attended and released at the same moment from
     * other threads, many times over: their outputs stay those of a run alone, and no step fails.
     */
    @Test
    void releasesRacingStepsLoseNothing() throws Exception {
        LocalAttention shared = new LocalAttention(checkpoint, MatMul.vector());
        LocalAttention alone = new LocalAttention(checkpoint, MatMul.vector());
        Random random = new Random(11);
        float[] prompt = rows(random, KvCache.PAGE), churn = rows(random, 2 * KvCache.PAGE);
        float[] expected = alone.attend(0, 1, prompt, KvCache.PAGE).clone();
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        for (int round = 0; round < 200; round++) {
            // a sequence taking a page meets another sequence's step and that sequence's release
            long id = 1000 + round;
            CountDownLatch go = new CountDownLatch(1);
            Thread churner = Thread.ofPlatform().start(() -> run(failures, go, () -> shared.attend(0, id, churn, 2 * KvCache.PAGE)));
            Thread releaser = Thread.ofPlatform().start(() -> run(failures, go, () -> shared.release(id)));
            go.countDown();
            float[] actual = shared.attend(0, round, prompt, KvCache.PAGE);
            assertArrayEquals(expected, actual, "round " + round);
            churner.join();
            releaser.join();
            shared.release(id);
            shared.release(round);
        }
        assertTrue(failures.isEmpty(), () -> "failed: " + failures);
        assertEquals(0, shared.cachedSequences(), "the released sequences left no cache");
    }

    private static void run(ConcurrentLinkedQueue<Throwable> failures, CountDownLatch go, Runnable action) {
        try {
            go.await();
            action.run();
        } catch (Throwable t) {
            failures.add(t);
        }
    }

    private static float[] rows(Random random, int tokens) {
        float[] x = new float[tokens * hidden];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextGaussian();
        }
        return x;
    }
}

package io.moemesh.core.roles;

import io.moemesh.core.config.Qwen3Config;
import io.moemesh.core.kernel.MatMul;
import io.moemesh.core.kernel.Parallel;
import io.moemesh.core.kernel.Scratch;
import io.moemesh.core.nn.SwiGluMlp;
import io.moemesh.core.tensor.VectorMath;
import io.moemesh.core.weights.Checkpoint;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BiPredicate;

/**
 * Experts computed in this JVM. Loads exactly the (layer, expert) pairs {@code hosts} accepts, so an expert host
 * never reads another's weights. A batch's assignments are sorted by expert so each expert's weights are streamed
 * once per batch, and all of the batch's experts run in one fused pass; the working arrays are {@link Scratch}, so
 * a decode step allocates no activations here.
 */
public final class LocalExperts implements ExpertBackend {
    /** [layer][expert], null where not hosted (or a dense layer). */
    private final SwiGluMlp[][] experts;
    private final MatMul matMul;
    private final int hidden;
    private final int numExperts;
    private final ThreadLocal<SwiGluMlp[]> batchExperts;
    private final int size;

    public LocalExperts(Checkpoint checkpoint, BiPredicate<Integer, Integer> hosts, MatMul matMul) {
        Qwen3Config c = checkpoint.config();
        this.matMul = matMul;
        this.hidden = c.hiddenSize();
        this.numExperts = Math.max(c.numExperts(), 0);
        this.experts = new SwiGluMlp[c.numHiddenLayers()][numExperts];
        this.batchExperts = ThreadLocal.withInitial(() -> new SwiGluMlp[numExperts]);
        List<int[]> hosted = new ArrayList<>();
        for (int layer = 0; layer < c.numHiddenLayers(); layer++) {
            if (!c.isMoeLayer(layer)) {
                continue;
            }
            for (int e = 0; e < numExperts; e++) {
                if (hosts.test(layer, e)) {
                    hosted.add(new int[]{layer, e});
                }
            }
        }
        // Experts load on all the engine's threads, each expert whole on one (its conversions then run inline). Most
        // of a load is not the conversion, which splits its rows over the threads anyway, but work each matrix does on
        // one thread: the scratch copy and the new memory's first touch (page faults and zeroing; FP8 under auto,
        // one thread: 2.8 and 3.0 s of 13.6).
        Parallel.forRange(hosted.size(), (from, to) -> {
            for (int i = from; i < to; i++) {
                int layer = hosted.get(i)[0], e = hosted.get(i)[1];
                String prefix = "model.layers." + layer + ".mlp.experts." + e + ".";
                experts[layer][e] = SwiGluMlp.load(checkpoint, prefix, c.hiddenSize(), c.moeIntermediateSize());
            }
        });
        size = hosted.size();
    }

    public int size() {
        return size;
    }

    @Override
    public float[] compute(ExpertBatch batch) {
        if (batch.hidden() != hidden) {
            throw new IllegalArgumentException("hidden size " + batch.hidden() + " but the model's is " + hidden);
        }
        int layer = batch.layer(), tokens = batch.tokens(), slots = batch.slots(), n = tokens * slots;
        if (layer < 0 || layer >= experts.length) {
            throw new IllegalArgumentException("layer " + layer + " outside 0.." + (experts.length - 1));
        }
        // Counting sort of the assignments by expert: ascending expert order, and ascending tokens within an
        // expert, the order transformers sums in.
        int[] count = Scratch.ints(Scratch.Use.EXPERTS_COUNT, numExperts + 1);
        int rows = 0;
        for (int a = 0; a < n; a++) {
            int e = batch.experts()[a];
            if (e >= 0) {
                if (e >= numExperts || experts[layer][e] == null) {
                    throw new IllegalArgumentException("expert " + e + " of layer " + layer + " is not hosted here");
                }
                count[e + 1]++;
                rows++;
            }
        }
        SwiGluMlp[] mlps = batchExperts.get();
        int[] rowStart = Scratch.ints(Scratch.Use.EXPERTS_START, numExperts);
        int[] rowCount = Scratch.ints(Scratch.Use.EXPERTS_ROWS, numExperts);
        int used = 0;
        for (int e = 0, start = 0; e < numExperts; e++) {
            int c = count[e + 1];
            count[e + 1] = start;   // now: the next free row of expert e
            if (c > 0) {
                mlps[used] = experts[layer][e];
                rowStart[used] = start;
                rowCount[used++] = c;
                start += c;
            }
        }
        int[] token = Scratch.ints(Scratch.Use.EXPERTS_TOKEN, rows);
        int[] slot = Scratch.ints(Scratch.Use.EXPERTS_SLOT, rows);
        float[] x = Scratch.floats(Scratch.Use.EXPERTS_X, rows * hidden);
        for (int t = 0; t < tokens; t++) {
            for (int s = 0; s < slots; s++) {
                int e = batch.experts()[t * slots + s];
                if (e >= 0) {
                    int r = count[e + 1]++;
                    token[r] = t;
                    slot[r] = s;
                    System.arraycopy(batch.x(), t * hidden, x, r * hidden, hidden);
                }
            }
        }
        float[] y = Scratch.floats(Scratch.Use.EXPERTS_Y, rows * hidden);
        SwiGluMlp.forwardAll(mlps, used, rowStart, rowCount, x, y, matMul);
        float[] out = Scratch.floats(Scratch.Use.EXPERTS_OUT, tokens * hidden);
        for (int r = 0; r < rows; r++) {
            float w = batch.weights()[token[r] * slots + slot[r]];
            VectorMath.axpy(w, y, r * hidden, out, token[r] * hidden, hidden);
        }
        return out;
    }
}

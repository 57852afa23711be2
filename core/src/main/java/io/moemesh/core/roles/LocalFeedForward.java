package io.moemesh.core.roles;

import io.moemesh.core.config.Qwen3Config;
import io.moemesh.core.kernel.MatMul;
import io.moemesh.core.nn.MoeBlock;
import io.moemesh.core.nn.Router;
import io.moemesh.core.nn.SwiGluMlp;
import io.moemesh.core.tensor.Matrices;
import io.moemesh.core.weights.Checkpoint;

/** Dense MLPs and MoE blocks in this JVM; the MoE blocks send their experts to {@code experts} (local or remote). */
public final class LocalFeedForward implements FeedForwardBackend {
    private final SwiGluMlp[] dense;
    private final MoeBlock[] moe;
    private final MatMul matMul;

    public LocalFeedForward(Checkpoint checkpoint, ExpertBackend experts, MatMul matMul) {
        Qwen3Config c = checkpoint.config();
        this.matMul = matMul;
        this.dense = new SwiGluMlp[c.numHiddenLayers()];
        this.moe = new MoeBlock[c.numHiddenLayers()];
        for (int l = 0; l < dense.length; l++) {
            String p = "model.layers." + l + ".mlp.";
            if (c.isMoeLayer(l)) {
                Router router = new Router(Matrices.load(checkpoint, p + "gate.weight", c.numExperts(), c.hiddenSize()),
                        c.numExpertsPerToken(), c.normTopkProb());
                moe[l] = new MoeBlock(l, router, experts, matMul);
            } else {
                if (c.intermediateSize() <= 0) {
                    throw new io.moemesh.core.config.ConfigException(checkpoint.dir() + "/config.json: layer " + l
                            + " is dense but intermediate_size is missing");
                }
                dense[l] = SwiGluMlp.load(checkpoint, p, c.hiddenSize(), c.intermediateSize());
            }
        }
    }

    @Override
    public Output forward(int layer, float[] normedHidden, int tokens) {
        return forward(layer, normedHidden, tokens, false);
    }

    /** @param withRouterLogits a trace wants the routing: it gets arrays of its own, not scratch */
    @Override
    public Output forward(int layer, float[] normedHidden, int tokens, boolean withRouterLogits) {
        if (layer < 0 || layer >= dense.length) {
            throw new IllegalArgumentException("layer " + layer + " outside 0.." + (dense.length - 1));
        }
        if (moe[layer] != null) {
            return moe[layer].forward(normedHidden, tokens, withRouterLogits);
        }
        return new Output(dense[layer].forward(normedHidden, tokens, matMul), null);
    }
}

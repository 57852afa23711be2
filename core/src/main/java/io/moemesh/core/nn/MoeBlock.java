package io.moemesh.core.nn;

import io.moemesh.core.kernel.MatMul;
import io.moemesh.core.roles.ExpertBackend;
import io.moemesh.core.roles.ExpertBatch;
import io.moemesh.core.roles.FeedForwardBackend;

/** The sparse MoE block: route every token, then Σᵢ wᵢ · expertᵢ(x) computed by whichever expert backend. */
public record MoeBlock(int layer, Router router, ExpertBackend experts, MatMul matMul) {

    public FeedForwardBackend.Output forward(float[] x, int tokens) {
        return forward(x, tokens, false);
    }

    /** @param keepRouting the routing must outlive the call (a trace records it); otherwise it is scratch */
    public FeedForwardBackend.Output forward(float[] x, int tokens, boolean keepRouting) {
        Routing routing = router.route(x, tokens, matMul, !keepRouting);
        int hidden = x.length / tokens;
        float[] out = experts.compute(new ExpertBatch(layer, tokens, hidden, x, routing.topK(),
                routing.expertIds(), routing.weights()));
        return new FeedForwardBackend.Output(out, routing);
    }
}

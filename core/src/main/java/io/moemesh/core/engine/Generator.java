package io.moemesh.core.engine;

import io.moemesh.core.nn.Qwen3Model;
import io.moemesh.core.nn.SequenceChunk;
import io.moemesh.core.sampling.Sampler;
import io.moemesh.core.sampling.SamplingParams;

import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.function.IntPredicate;

/**
 * Prefill the prompt in one forward pass, then decode one token at a time from the KV cache until a stop token,
 * the token limit or the context length.
 */
public final class Generator {
    private final Qwen3Model model;

    public Generator(Qwen3Model model) {
        this.model = model;
    }

    /**
     * @param onToken called with each new token; returning false stops the generation (client gone, stop text)
     */
    public GenerationResult generate(int[] prompt, int maxNewTokens, SamplingParams params, Set<Integer> stopTokens,
                                     IntPredicate onToken) {
        GenerationRequest request = new GenerationRequest(prompt, maxNewTokens, params, stopTokens);
        request.validate(model.config());
        int budget = request.budget(model.config());
        long sequence = SequenceIds.next();
        int[] out = new int[budget];
        int produced = 0;
        String finish = "length";
        long prefillNanos = 0, decodeNanos = 0;
        try {
            if (budget == 0) {
                return new GenerationResult(prompt.clone(), new int[0], "length", 0, 0);
            }
            Sampler sampler = new Sampler(params, model.config().vocabSize(), prompt);
            long t0 = System.nanoTime();
            float[] logits = model.forward(sequence, prompt, false, null);
            prefillNanos = System.nanoTime() - t0;
            long decodeStart = System.nanoTime();
            while (true) {
                int token = sampler.sample(logits);
                sampler.accept(token);
                out[produced++] = token;
                if (stopTokens.contains(token)) {
                    finish = "stop";
                    break;
                }
                if (!onToken.test(token)) {
                    finish = "stop";
                    break;
                }
                if (produced == budget) {
                    break;
                }
                // decode steps reuse one logits array: the model allocates no activations for them
                model.step(List.of(new SequenceChunk(sequence, new int[]{token}, true)), new float[][]{logits});
            }
            decodeNanos = System.nanoTime() - decodeStart;
        } finally {
            model.release(sequence);
        }
        return new GenerationResult(prompt.clone(), Arrays.copyOf(out, produced), finish, prefillNanos, decodeNanos);
    }
}

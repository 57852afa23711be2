package io.moemesh.core.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Prints rough encode throughput; no timing assertion (CI machines vary too much). */
class TokenizerThroughputTest {

    /** Mixed prose, code and CJK with a large vocabulary of made-up words so the cache does not hide BPE cost. */
    static String corpus(int chars, long seed) {
        Random r = new Random(seed);
        String[] syllables = {"ka", "to", "ri", "mex", "pert", "rou", "ter", "qu", "en", "ing", "tion", "str",
            "ae", "ly", "sch", "ough", "ph", "ize", "ment", "un"};
        String[] common = {"the", "of", "and", "to", "a", "in", "is", "that", "for", "it", "with", "as", "on"};
        String code = "    for (int i = 0; i < n; i++) {\n        out[i] = w[i] * x[i] + b;\n    }\n";
        String cjk = "混合专家模型在多台机器上运行，每个专家只处理一部分令牌。";
        StringBuilder sb = new StringBuilder(chars + 200);
        while (sb.length() < chars) {
            int kind = r.nextInt(20);
            if (kind == 0) {
                sb.append(code);
            } else if (kind == 1) {
                sb.append(cjk);
            } else if (kind < 10) {
                sb.append(common[r.nextInt(common.length)]).append(' ');
            } else {
                int n = 1 + r.nextInt(4);
                for (int i = 0; i < n; i++) {
                    sb.append(syllables[r.nextInt(syllables.length)]);
                }
                sb.append(r.nextInt(12) == 0 ? ". " : r.nextInt(10) == 0 ? ", " : " ");
            }
        }
        return sb.toString();
    }

    @Test
    void measureEncodeThroughput() {
        String text = corpus(4_000_000, 7);
        double mb = text.getBytes(StandardCharsets.UTF_8).length / 1e6;

        long t0 = System.nanoTime();
        Tokenizer fresh = TokenizerLoader.loadResources("/io/moemesh/core/tokenizer/qwen3/");
        long t1 = System.nanoTime();
        int[] cold = fresh.encode(text);
        long t2 = System.nanoTime();
        int[] warm = null;
        long best = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            long s = System.nanoTime();
            warm = fresh.encode(text);
            best = Math.min(best, System.nanoTime() - s);
        }
        assertEquals(cold.length, warm.length);
        assertEquals(text, fresh.decode(warm));
        long s = System.nanoTime();
        fresh.decode(warm);
        long decodeNanos = System.nanoTime() - s;

        System.out.printf("tokenizer: load %.0f ms; encode %.1f MB (%d tokens): first pass %.1f MB/s, "
                        + "warm %.1f MB/s (%.2f M tokens/s); decode %.1f MB/s%n",
                (t1 - t0) / 1e6, mb, warm.length, mb / ((t2 - t1) / 1e9), mb / (best / 1e9),
                warm.length / (best / 1e9) / 1e6, mb / (decodeNanos / 1e9));
    }
}

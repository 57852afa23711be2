package io.moemesh.core.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.text.Normalizer;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Edge cases the reference fixture does not cover, with ids produced by HF {@code tokenizers}
 * 0.23.2 ({@code Tokenizer.from_file(qwen3 tokenizer.json).encode(text, add_special_tokens=False)}):
 * Unicode whitespace that only a Unicode-aware {@code \s} splits on, the case-insensitive
 * contractions (including U+017F, which Unicode case-folds to 's'), NFC at piece boundaries,
 * added tokens next to each other and to near-misses, and control characters.
 */
class TokenizerEdgeCaseTest {
    private static final List<Map.Entry<String, int[]>> HF_ENCODINGS = List.of(
            Map.entry("no-break\u00a0space and\u00a0\u00a0two",
                    new int[] {2152, 34349, 4102, 8746, 323, 4102, 4102, 19789}),
            Map.entry("ideographic\u3000space\u3000\u3000x",
                    new int[] {94007, 22441, 8746, 22441, 22441, 87}),
            Map.entry("thin\u2009space, nel\205line, ls\u2028ps\u2029end",
                    new int[] {63671, 378, 231, 8746, 11, 24340, 126, 227, 1056, 11, 19597, 378, 101, 1690, 378, 102, 408}),
            Map.entry("zero\u200bwidth and bom\ufeffhere",
                    new int[] {14154, 15692, 3098, 323, 18167, 3225, 6739}),
            Map.entry("vt\013ff\014fs\034us\037",
                    new int[] {9708, 199, 542, 200, 3848, 216, 355, 219}),
            Map.entry("'\u017f 'S 'LL 'Re 'VE 'M 'D 'T",
                    new int[] {6, 144815, 364, 50, 364, 4086, 364, 693, 364, 4491, 364, 44, 364, 35, 364, 51}),
            Map.entry("cafe\u0301 A\u030a \u212b \u1100\u1161\u11a8",
                    new int[] {924, 58858, 79252, 79252, 126804}),
            Map.entry("\u0301leading combining",
                    new int[] {53839, 20654, 34171}),
            Map.entry("\ufb01nal \u00df \u0130stanbul \u01c5",
                    new int[] {144300, 41978, 1683, 253, 129514, 220, 131, 227}),
            Map.entry("\u2460 \u00bd \u0663 \u216b \ud835\udfd8\ud835\udfd9 \u0bf0",
                    new int[] {48312, 254, 220, 26062, 220, 149, 96, 220, 70467, 104, 220, 56252, 253, 246, 56252, 253, 247, 220, 31501, 108}),
            Map.entry("<<|im_end|>> <|im_start <|<|im_start|>|>",
                    new int[] {27, 151645, 29, 82639, 318, 4906, 82639, 151644, 91, 29}),
            Map.entry("x<think>y</think>z<tool_call>{}</tool_call>",
                    new int[] {87, 151667, 88, 151668, 89, 151657, 6257, 151658}),
            Map.entry("text<|endoftext|>  \012<|im_end|>\012\012",
                    new int[] {1318, 151643, 2303, 151645, 271}),
            Map.entry("  \011 \012 \015\012\015 \u00a0\012",
                    new int[] {19271, 715, 2529, 201, 17091, 198}),
            Map.entry("__init__(self) -> None:  # ok\012    return 0x1F",
                    new int[] {563, 2327, 3804, 721, 8, 1464, 2240, 25, 220, 671, 5394, 198, 262, 470, 220, 15, 87, 16, 37}),
            Map.entry("HTTPServer CamelCase snake_case kebab-case v2.0.1",
                    new int[] {9230, 5475, 68154, 4207, 25265, 19096, 1962, 47722, 38485, 348, 17, 13, 15, 13, 16}),
            Map.entry("\ud83d\udc69\u200d\ud83d\udcbb\ud83d\udc4d\ud83c\udffd\ud83c\uddeb\ud83c\uddf71\ufe0f\u20e3 x\ud83d\ude42y",
                    new int[] {145233, 378, 235, 145851, 144349, 145375, 145919, 145070, 16, 30543, 158, 225, 96, 856, 145080, 88}),
            Map.entry("\000\001\177\200\237",
                    new int[] {188, 189, 221, 42476, 253}));

    @Test
    void edgeCasesEncodeLikeHf() {
        Tokenizer tok = Tokenizer.embeddedQwen3();
        for (Map.Entry<String, int[]> e : HF_ENCODINGS) {
            assertArrayEquals(e.getValue(), tok.encode(e.getKey()), () -> "ids for " + e.getKey().codePoints()
                    .mapToObj(cp -> cp < 0x7F && cp >= 0x20 ? Character.toString(cp) : String.format("\\u%04X", cp))
                    .reduce("", String::concat));
            assertEquals(Normalizer.normalize(e.getKey(), Normalizer.Form.NFC), tok.decode(e.getValue()));
        }
    }
}

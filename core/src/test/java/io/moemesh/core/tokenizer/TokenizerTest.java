package io.moemesh.core.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenizerTest {
    private final Tokenizer tok = Tokenizer.embeddedQwen3();

    private int byteToken(int b) {
        return tok.tokenId(String.valueOf(ByteLevelAlphabet.toChar(b))).orElseThrow();
    }

    @Test
    void qwen3Metadata() {
        assertEquals(151_669, tok.vocabSize());
        assertEquals("<|im_end|>", tok.eosToken().orElseThrow());
        assertEquals("<|endoftext|>", tok.padToken().orElseThrow());
        assertEquals(OptionalInt.of(151_645), tok.tokenId("<|im_end|>"));
        assertEquals(OptionalInt.of(151_667), tok.tokenId("<think>"));
        assertEquals(OptionalInt.of(9707), tok.tokenId("Hello"));
        assertEquals(OptionalInt.of(220), tok.tokenId("Ġ"));
        assertTrue(tok.tokenId("no such token, surely").isEmpty());
        assertTrue(tok.isSpecial(151_645));
        assertTrue(tok.isSpecial(151_643));
        assertFalse(tok.isSpecial(151_667), "<think> is an added token but not special");
        assertFalse(tok.isSpecial(9707));
        assertFalse(tok.isSpecial(-1));
        assertFalse(tok.isSpecial(151_900));
        assertSame(tok, Tokenizer.embeddedQwen3());
    }

    private static void assertSame(Object a, Object b) {
        org.junit.jupiter.api.Assertions.assertSame(a, b, "embedded tokenizer is loaded once");
    }

    @Test
    void tokenBytes() {
        assertArrayEquals(new byte[] {' '}, tok.tokenBytes(220));
        assertArrayEquals("Hello".getBytes(StandardCharsets.UTF_8), tok.tokenBytes(9707));
        assertArrayEquals("<|im_end|>".getBytes(StandardCharsets.UTF_8), tok.tokenBytes(151_645));
        assertArrayEquals(new byte[] {(byte) 0xF0}, tok.tokenBytes(byteToken(0xF0)));
        byte[] copy = tok.tokenBytes(9707);
        copy[0] = 'J';
        assertArrayEquals("Hello".getBytes(StandardCharsets.UTF_8), tok.tokenBytes(9707), "callers get a copy");
        assertEquals(0, tok.tokenBytes(151_669).length);
        assertEquals(0, tok.tokenBytes(151_935).length);
    }

    @Test
    void idsPastTheVocabularyDecodeToNothingNegativeIdsThrow() {
        assertEquals("Hello", tok.decode(new int[] {9707, 151_669, 151_935, Integer.MAX_VALUE}));
        TokenizerException e = assertThrows(TokenizerException.class, () -> tok.decode(new int[] {9707, -3}));
        assertTrue(e.getMessage().contains("-3"), e.getMessage());
        assertThrows(TokenizerException.class, () -> tok.tokenBytes(-1));
        assertThrows(TokenizerException.class, () -> tok.newDecoder(false).push(-1));
    }

    @Test
    void specialTokensAreMatchedInTextAndCanBeSkippedWhenDecoding() {
        int[] ids = tok.encode("<|im_start|>user\nhi<|im_end|><think>x</think>");
        assertEquals(151_644, ids[0]);
        assertTrue(java.util.Arrays.stream(ids).anyMatch(id -> id == 151_645));
        assertEquals("<|im_start|>user\nhi<|im_end|><think>x</think>", tok.decode(ids));
        assertEquals("user\nhi<think>x</think>", tok.decode(ids, true));
        // Partial or misspelt special tokens are ordinary text.
        assertEquals("<|im_start", tok.decode(tok.encode("<|im_start")));
        assertFalse(java.util.Arrays.stream(tok.encode("<|im_start")).anyMatch(id -> id >= 151_643));
    }

    @Test
    void invalidUtf8IsReplacedPerMaximalSubpartLikeHf() {
        // A 4-byte character cut after two bytes: one U+FFFD (Rust's from_utf8_lossy), not two.
        assertEquals("\uFFFD", tok.decode(new int[] {byteToken(0xF0), byteToken(0x9F)}));
        assertEquals("\uFFFDA", tok.decode(new int[] {byteToken(0xF0), byteToken(0x9F), byteToken('A')}));
        // A lone continuation byte, and a lead byte whose next byte is out of its range: one each.
        assertEquals("\uFFFD", tok.decode(new int[] {byteToken(0x80)}));
        assertEquals("\uFFFD\uFFFD", tok.decode(new int[] {byteToken(0xE0), byteToken(0x80)}));
        assertEquals("\uFFFD\uFFFD", tok.decode(new int[] {byteToken(0xED), byteToken(0xA0)})); // surrogate
        assertEquals("\uFFFD\uFFFD", tok.decode(new int[] {byteToken(0xC0), byteToken(0xAF)})); // overlong
        assertEquals("é", tok.decode(new int[] {byteToken(0xC3), byteToken(0xA9)}));
    }

    @Test
    void longTextIsNotTruncated() {
        StringBuilder sb = new StringBuilder();
        int i = 0;
        while (sb.length() < 24_000) {
            sb.append("Sentence ").append(i++).append(" of a long prompt about experts, routers and the mesh. ");
        }
        String text = sb.toString();
        int[] ids = tok.encode(text);
        assertTrue(ids.length > 5_000, "expected > 5000 tokens, got " + ids.length);
        assertEquals(text, tok.decode(ids));
    }

    @Test
    void roundTripGivesTheNfcText() {
        String[] samples = {
            "",
            " ",
            "plain ascii, with punctuation!?",
            "e\u0301 decomposed accents: cafe\u0301, A\u030A, \u1100\u1161\u11A8 (jamo)",
            "\u212B angstrom sign and \uFB01 ligature",
            "no-break\u00A0space, ideographic\u3000space, thin\u2009space, nel\u0085line",
            "tabs\tand\nnewlines\r\n\r\nand\u2028separators\u2029",
            "emoji 🙂🚀👩‍💻👍🏽 🇫🇷🇯🇵 keycaps 1️⃣ #️⃣",
            "中文、日本語、한국어、ไทย、हिन्दी、العربية、עברית",
            "math 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 ∀x∈ℝ: x² ≥ 0 ½ ⅓ ٣ ௰",
            "code: for (int i = 0; i < n; i++) { sum += a[i] * b[i]; }\n\t\treturn sum;",
            "    lots    of     spaces      ",
            "I'LL DON'T we'Ve 'S' ' 's",
            "\u0000\u0001\u001F\u007F control",
            "ſ long s 'ſ K kelvin",
            "<|im_start|> <|im_end|><|endoftext|><think></think><tool_call>",
        };
        for (String s : samples) {
            assertEquals(Normalizer.normalize(s, Normalizer.Form.NFC), tok.decode(tok.encode(s)), s);
        }
        // Decomposed and composed input tokenize the same, because NFC runs first.
        assertArrayEquals(tok.encode("caf\u00E9"), tok.encode("cafe\u0301"));
    }

    @Test
    void missingTokenizerJsonNamesTheFile(@TempDir Path dir) {
        TokenizerException e = assertThrows(TokenizerException.class, () -> Tokenizer.load(dir));
        assertTrue(e.getMessage().contains(dir.resolve("tokenizer.json").toString()), e.getMessage());
    }

    @Test
    void malformedTokenizerJsonNamesTheFile(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("tokenizer.json");
        Files.writeString(file, "{\"model\": {\"vocab\": {\"a\": 0,");
        TokenizerException e = assertThrows(TokenizerException.class, () -> Tokenizer.load(dir));
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());

        Files.writeString(file, "[1, 2, 3]");
        e = assertThrows(TokenizerException.class, () -> Tokenizer.load(dir));
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());

        Files.writeString(file, TinyTokenizer.json("\"a b\", [\"b\"]"));
        e = assertThrows(TokenizerException.class, () -> Tokenizer.load(dir));
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("merge 1"), e.getMessage());

        Files.writeString(file, TinyTokenizer.json("\"a x\""));
        e = assertThrows(TokenizerException.class, () -> Tokenizer.load(dir));
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("vocab"), e.getMessage());

        Files.writeString(file, "{\"model\": {\"type\": \"WordPiece\", \"vocab\": {}}}");
        e = assertThrows(TokenizerException.class, () -> Tokenizer.load(dir));
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("WordPiece"), e.getMessage());
    }

    @Test
    void malformedTokenizerConfigNamesTheFile(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("tokenizer.json"), TinyTokenizer.json("\"b c\", \"a b\", \"a bc\""));
        Path config = dir.resolve("tokenizer_config.json");
        Files.writeString(config, "{\"eos_token\": ");
        TokenizerException e = assertThrows(TokenizerException.class, () -> Tokenizer.load(dir));
        assertTrue(e.getMessage().contains(config.toString()), e.getMessage());
    }

    @Test
    void mergesAreAppliedByRankInEitherFileFormat(@TempDir Path dir) throws IOException {
        // "abc" has two ways to merge; the rank order decides which intermediate token appears.
        Files.writeString(dir.resolve("tokenizer.json"), TinyTokenizer.json("\"b c\", \"a b\", \"a bc\", \"ab c\""));
        Tokenizer strings = Tokenizer.load(dir);
        Files.writeString(dir.resolve("tokenizer.json"),
                TinyTokenizer.json("[\"b\", \"c\"], [\"a\", \"b\"], [\"a\", \"bc\"], [\"ab\", \"c\"]"));
        Tokenizer pairs = Tokenizer.load(dir);
        for (Tokenizer t : new Tokenizer[] {strings, pairs}) {
            assertArrayEquals(new int[] {TinyTokenizer.ABC}, t.encode("abc"));
            // "ab" + "bc" is not how "abcbc" merges: b c (rank 0) wins everywhere first.
            assertArrayEquals(new int[] {TinyTokenizer.ABC, TinyTokenizer.BC}, t.encode("abcbc"));
            assertArrayEquals(new int[] {TinyTokenizer.AB, TinyTokenizer.AB}, t.encode("abab"));
        }
        Files.writeString(dir.resolve("tokenizer.json"), TinyTokenizer.json("\"a b\", \"b c\", \"ab c\""));
        Tokenizer other = Tokenizer.load(dir);
        assertArrayEquals(new int[] {TinyTokenizer.ABC}, other.encode("abc"));
        // With "a b" first, "bcab" still merges b c, then a b.
        assertArrayEquals(new int[] {TinyTokenizer.BC, TinyTokenizer.AB}, other.encode("bcab"));
    }

    @Test
    void addedTokenFlags(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("tokenizer.json"), TinyTokenizer.json("\"a b\""));
        Tokenizer t = Tokenizer.load(dir);
        int a = TinyTokenizer.A;
        int b = TinyTokenizer.B;
        int space = TinyTokenizer.SPACE;
        // <L> strips whitespace on its left, <R> on its right; the stripped spaces vanish.
        assertArrayEquals(new int[] {a, TinyTokenizer.LSTRIP, space, b}, t.encode("a  <L> b"));
        assertArrayEquals(new int[] {a, space, TinyTokenizer.RSTRIP, b}, t.encode("a <R>  b"));
        // <W> only matches as a whole word.
        assertArrayEquals(new int[] {a, space, TinyTokenizer.SINGLE_WORD, space, b}, t.encode("a <W> b"));
        assertFalse(java.util.Arrays.stream(t.encode("a<W>b")).anyMatch(id -> id == TinyTokenizer.SINGLE_WORD));
        // Longest match wins among overlapping contents.
        assertArrayEquals(new int[] {TinyTokenizer.LONG}, t.encode("<L><L>"));
        assertTrue(t.isSpecial(TinyTokenizer.LSTRIP));
        assertFalse(t.isSpecial(TinyTokenizer.RSTRIP));
        assertTrue(t.eosToken().isEmpty(), "no tokenizer_config.json, no eos token");
    }
}

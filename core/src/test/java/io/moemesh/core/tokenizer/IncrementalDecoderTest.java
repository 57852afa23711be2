package io.moemesh.core.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class IncrementalDecoderTest {
    private final Tokenizer tok = Tokenizer.embeddedQwen3();

    private int byteToken(int b) {
        return tok.tokenId(String.valueOf(ByteLevelAlphabet.toChar(b))).orElseThrow();
    }

    @Test
    void multiByteCharactersSplitAcrossTokensAreEmittedOnceAndWhole() {
        String text = "emoji 🙂🚀👩‍💻 and flags 🇫🇷, 混合专家模型在多台机器上运行。 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 done";
        int[] ids = tok.encode(text);
        IncrementalDecoder decoder = tok.newDecoder(false);
        StringBuilder streamed = new StringBuilder();
        List<String> pieces = new ArrayList<>();
        boolean heldBack = false;
        for (int id : ids) {
            String piece = decoder.push(id);
            pieces.add(piece);
            heldBack |= piece.isEmpty();
            assertFalse(piece.contains("\uFFFD"), "half a character was emitted: " + pieces);
            if (!piece.isEmpty()) {
                assertFalse(Character.isHighSurrogate(piece.charAt(piece.length() - 1)), "split surrogate pair");
                assertFalse(Character.isLowSurrogate(piece.charAt(0)), "split surrogate pair");
            }
            streamed.append(piece);
        }
        streamed.append(decoder.flush());
        assertTrue(heldBack, "the text should contain characters that span tokens: " + pieces);
        assertEquals(text, streamed.toString());
        assertEquals(tok.decode(ids), streamed.toString());
    }

    @Test
    void incompleteTailIsReplacedOnFlushAndInvalidBytesImmediately() {
        IncrementalDecoder d = tok.newDecoder(false);
        assertEquals("", d.push(byteToken(0xF0)));
        assertEquals("", d.push(byteToken(0x9F)));
        assertEquals("\uFFFD", d.flush());
        assertEquals("", d.flush(), "flush resets");

        assertEquals("", d.push(byteToken(0xE4)));
        assertEquals("\uFFFDA", d.push(byteToken('A')), "a byte that cannot continue the character ends it");
        assertEquals("\uFFFD", d.push(byteToken(0x80)));
        assertEquals("", d.flush());
    }

    @Test
    void specialTokensAndPaddingIds() {
        int imEnd = tok.tokenId("<|im_end|>").orElseThrow();
        IncrementalDecoder keep = tok.newDecoder(false);
        IncrementalDecoder skip = tok.newDecoder(true);
        assertEquals("<|im_end|>", keep.push(imEnd));
        assertEquals("", skip.push(imEnd));
        assertEquals("<think>", skip.push(tok.tokenId("<think>").orElseThrow()), "<think> is not special");
        assertEquals("", keep.push(151_900), "padding rows of the embedding decode to nothing");
    }

    @Test
    void pushesPlusFlushEqualDecodeForRandomIds() {
        Random random = new Random(42);
        for (int round = 0; round < 300; round++) {
            int[] ids = new int[1 + random.nextInt(40)];
            for (int i = 0; i < ids.length; i++) {
                // Bias towards single-byte tokens so broken UTF-8 sequences are common.
                ids[i] = random.nextBoolean() ? byteToken(random.nextInt(256)) : random.nextInt(tok.vocabSize() + 300);
            }
            for (boolean skipSpecial : new boolean[] {false, true}) {
                IncrementalDecoder d = tok.newDecoder(skipSpecial);
                StringBuilder sb = new StringBuilder();
                for (int id : ids) {
                    sb.append(d.push(id));
                }
                sb.append(d.flush());
                assertEquals(tok.decode(ids, skipSpecial), sb.toString());
            }
        }
    }
}

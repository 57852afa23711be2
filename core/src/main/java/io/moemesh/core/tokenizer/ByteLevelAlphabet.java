package io.moemesh.core.tokenizer;

import java.nio.charset.StandardCharsets;

/**
 * GPT-2's reversible byte-to-unicode table, used by the ByteLevel pre-tokenizer and decoder.
 *
 * <p>Byte-level BPE works on bytes, but vocab files store tokens as strings. GPT-2 solved that by
 * giving each of the 256 byte values a visible character: printable Latin-1 bytes ({@code !..~},
 * {@code ¡..¬}, {@code ®..ÿ}) stand for themselves and the remaining 68 bytes, in ascending order,
 * become U+0100, U+0101, ... (so the space byte is {@code Ġ}, U+0120). Vocab entries are spelled in
 * this alphabet, which is why the table must match the one the model was trained with exactly.
 */
final class ByteLevelAlphabet {
    private static final char[] BYTE_TO_CHAR = new char[256];
    /** Indexed by char; -1 where the char is not part of the alphabet. */
    private static final int[] CHAR_TO_BYTE;

    static {
        int shifted = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            BYTE_TO_CHAR[b] = printable ? (char) b : (char) (256 + shifted++);
        }
        CHAR_TO_BYTE = new int[256 + shifted];
        java.util.Arrays.fill(CHAR_TO_BYTE, -1);
        for (int b = 0; b < 256; b++) {
            CHAR_TO_BYTE[BYTE_TO_CHAR[b]] = b;
        }
    }

    private ByteLevelAlphabet() {}

    /** The alphabet character standing for byte {@code b} (0..255). */
    static char toChar(int b) {
        return BYTE_TO_CHAR[b & 0xFF];
    }

    /** The byte a character stands for, or -1 when the character is not in the alphabet. */
    static int toByte(char c) {
        return c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1;
    }

    /** The alphabet spelling of a single byte, as a vocab key. */
    static String spell(int b) {
        return String.valueOf(toChar(b));
    }

    /**
     * The bytes a vocab token stands for. Like HF's ByteLevel decoder, a token containing any
     * character outside the alphabet is taken as plain UTF-8 text instead (that only happens for
     * tokens that were not produced by byte-level training).
     */
    static byte[] decode(String token) {
        byte[] out = new byte[token.length()];
        for (int i = 0; i < token.length(); i++) {
            int b = toByte(token.charAt(i));
            if (b < 0) {
                return token.getBytes(StandardCharsets.UTF_8);
            }
            out[i] = (byte) b;
        }
        return out;
    }
}

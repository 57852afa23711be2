package io.moemesh.core.tokenizer;

/**
 * UTF-8 decoding with the replacement rule of Rust's {@code String::from_utf8_lossy}, which is what
 * HF tokenizers uses after byte-level decoding: every maximal invalid subpart becomes one U+FFFD.
 *
 * <p>Hand-written rather than {@code new String(bytes, UTF_8)} for two reasons: the JDK does not
 * document how many U+FFFD it emits for a truncated sequence, and the streaming decoder needs to
 * know where an incomplete (but so far valid) character starts so it can hold those bytes back.
 */
final class Utf8 {
    static final char REPLACEMENT = '\uFFFD';

    private Utf8() {}

    /** Decodes all of {@code b[off, end)}; an incomplete character at the end becomes U+FFFD. */
    static String decode(byte[] b, int off, int end) {
        StringBuilder sb = new StringBuilder(end - off);
        decode(b, off, end, sb, true);
        return sb.toString();
    }

    /**
     * Decodes {@code b[off, end)} into {@code out} and returns the index where decoding stopped.
     * With {@code endOfInput} false, a trailing sequence that is a valid prefix of a character is
     * left undecoded (the return value points at its first byte) because later bytes may complete
     * it; every other byte is final, so emitting it now gives the same text as decoding it all at
     * once.
     */
    static int decode(byte[] b, int off, int end, StringBuilder out, boolean endOfInput) {
        int i = off;
        while (i < end) {
            int b0 = b[i] & 0xFF;
            if (b0 < 0x80) {
                out.append((char) b0);
                i++;
                continue;
            }
            int need;
            int cp;
            int lo = 0x80;
            int hi = 0xBF;
            if (b0 >= 0xC2 && b0 <= 0xDF) {
                need = 1;
                cp = b0 & 0x1F;
            } else if (b0 >= 0xE0 && b0 <= 0xEF) {
                need = 2;
                cp = b0 & 0x0F;
                if (b0 == 0xE0) lo = 0xA0; // overlong
                if (b0 == 0xED) hi = 0x9F; // surrogates
            } else if (b0 >= 0xF0 && b0 <= 0xF4) {
                need = 3;
                cp = b0 & 0x07;
                if (b0 == 0xF0) lo = 0x90; // overlong
                if (b0 == 0xF4) hi = 0x8F; // above U+10FFFF
            } else {
                out.append(REPLACEMENT); // 0x80..0xC1, 0xF5..0xFF never start a character
                i++;
                continue;
            }
            int j = i + 1;
            int got = 0;
            while (got < need) {
                if (j >= end) {
                    if (!endOfInput) {
                        return i;
                    }
                    out.append(REPLACEMENT);
                    return end;
                }
                int bk = b[j] & 0xFF;
                if (bk < lo || bk > hi) {
                    break;
                }
                cp = (cp << 6) | (bk & 0x3F);
                lo = 0x80;
                hi = 0xBF;
                j++;
                got++;
            }
            if (got < need) {
                out.append(REPLACEMENT); // the maximal subpart b[i, j) is one error
            } else {
                out.appendCodePoint(cp);
            }
            i = j;
        }
        return end;
    }
}

package io.moemesh.core.response;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;

/** Ways a detokenizer might cut a text into streamed pieces. */
final class Splits {

    private Splits() {
    }

    /** Every cut of a short text into pieces (2^(n-1) of them), including one piece and single chars. */
    static Iterable<List<String>> all(String text) {
        if (text.length() > 20) {
            throw new IllegalArgumentException("too many splits for a text of " + text.length() + " chars");
        }
        int gaps = Math.max(text.length() - 1, 0);
        return () -> IntStream.range(0, 1 << gaps).mapToObj(mask -> cut(text, gaps, mask)).iterator();
    }

    /** Cuts after char i where bit i of the mask is set. */
    private static List<String> cut(String text, int gaps, int mask) {
        List<String> pieces = new ArrayList<>();
        int start = 0;
        for (int gap = 0; gap < gaps; gap++) {
            if ((mask & 1 << gap) != 0) {
                pieces.add(text.substring(start, gap + 1));
                start = gap + 1;
            }
        }
        pieces.add(text.substring(start));
        return pieces;
    }

    /** The text in two pieces at each position, char by char, and random cuts from a fixed seed. */
    static List<List<String>> many(String text) {
        List<List<String>> out = new ArrayList<>();
        for (int at = 0; at <= text.length(); at++) {
            out.add(List.of(text.substring(0, at), text.substring(at)));
        }
        out.add(text.chars().mapToObj(c -> String.valueOf((char) c)).toList());
        Random random = new Random(42);
        for (int n = 0; n < 200; n++) {
            List<String> pieces = new ArrayList<>();
            int start = 0;
            while (start < text.length()) {
                int end = Math.min(text.length(), start + random.nextInt(6));
                pieces.add(text.substring(start, end));
                start = end;
            }
            out.add(pieces);
        }
        return out;
    }
}

package io.moemesh.core.response;

/**
 * How much of the end of streamed text must wait for the next piece because it could be the start
 * of a tag that the detokenizer has only half produced ({@code "</thi"} before {@code "nk>"}).
 */
final class Holdback {

    private Holdback() {
    }

    /** Length of the longest suffix of {@code text} that is a proper prefix of {@code tag}. */
    static int length(String text, String tag) {
        for (int n = Math.min(text.length(), tag.length() - 1); n > 0; n--) {
            if (text.regionMatches(text.length() - n, tag, 0, n)) {
                return n;
            }
        }
        return 0;
    }
}

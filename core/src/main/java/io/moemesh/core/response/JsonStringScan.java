package io.moemesh.core.response;

/**
 * Looks through a growing JSON text for a closing tag that stands outside any JSON string,
 * remembering where it got to so that each piece of a stream is scanned once.
 */
final class JsonStringScan {

    private final String tag;
    private int position;
    private boolean inString;
    private boolean escaped;

    JsonStringScan(String tag) {
        this.tag = tag;
    }

    void reset() {
        position = 0;
        inString = false;
        escaped = false;
    }

    /** Index of the tag in {@code text} outside strings, or -1 while it has not (fully) arrived. */
    int find(CharSequence text) {
        for (; position < text.length(); position++) {
            char c = text.charAt(position);
            if (inString) {
                if (escaped) {
                    escaped = false;
                } else if (c == '\\') {
                    escaped = true;
                } else if (c == '"') {
                    inString = false;
                }
            } else if (c == '"') {
                inString = true;
            } else if (c == tag.charAt(0)) {
                int available = Math.min(tag.length(), text.length() - position);
                if (tag.regionMatches(0, text.subSequence(position, position + available).toString(), 0, available)) {
                    // Complete: found. Half a tag: look again from here when more text arrives.
                    return available == tag.length() ? position : -1;
                }
            }
        }
        return -1;
    }
}

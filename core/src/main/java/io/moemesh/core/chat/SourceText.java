package io.moemesh.core.chat;

import java.util.Arrays;

/**
 * The template source after jinja2's newline normalisation, with a line index so that token offsets
 * can be reported as line and column.
 */
final class SourceText {

    private final String text;
    private final int[] lineStarts;

    private SourceText(String text) {
        this.text = text;
        int count = 1;
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) == '\n') {
                count++;
            }
        }
        lineStarts = new int[count];
        int line = 1;
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) == '\n') {
                lineStarts[line++] = i + 1;
            }
        }
    }

    /**
     * Normalises as jinja2's lexer does: {@code \r\n} and {@code \r} become {@code \n}, and one trailing
     * newline is dropped (keep_trailing_newline=False, the default transformers keeps).
     */
    static SourceText of(String source) {
        String s = source.replace("\r\n", "\n").replace('\r', '\n');
        if (s.endsWith("\n")) {
            s = s.substring(0, s.length() - 1);
        }
        return new SourceText(s);
    }

    String text() {
        return text;
    }

    int line(int offset) {
        int idx = Arrays.binarySearch(lineStarts, offset);
        return (idx >= 0 ? idx : -idx - 2) + 1;
    }

    int column(int offset) {
        return offset - lineStarts[line(offset) - 1] + 1;
    }

    ChatTemplateException error(String message, int offset) {
        return new ChatTemplateException(message, line(offset), column(offset), false, null);
    }
}

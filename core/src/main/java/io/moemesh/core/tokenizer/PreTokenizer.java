package io.moemesh.core.tokenizer;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Splits normalized text into the words BPE runs on, as the file's {@code pre_tokenizer} says.
 *
 * <p>Supported: a {@code Sequence} of {@code Split} steps (regex or literal pattern, behaviour
 * {@code Isolated} or {@code Removed}) followed by {@code ByteLevel} (whose byte mapping is done by
 * {@link BpeModel}; with {@code use_regex} it also splits with GPT-2's pattern first). That covers
 * Qwen2/Qwen3 and GPT-2 style files; anything else is refused at load time rather than tokenized
 * differently from HF.
 *
 * <p>Patterns are compiled with {@link Pattern#UNICODE_CHARACTER_CLASS}: HF runs them on Oniguruma,
 * where {@code \s} is Unicode White_Space (NBSP, ideographic space, ...) and {@code (?i)} folds
 * case by Unicode rules. Without the flag Java's {@code \s} is ASCII-only and words would split
 * differently. ({@code \p{L}} and {@code \p{N}} are Unicode categories in Java either way.)
 */
final class PreTokenizer {
    /** GPT-2's split pattern, used by ByteLevel when {@code use_regex} is true. */
    static final String GPT2_PATTERN =
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

    /** Receives each word as a range of the text. */
    interface WordSink {
        void word(String text, int start, int end);
    }

    /** One regex split step. */
    record Split(Pattern pattern, boolean removeMatches, boolean invert) {
        static Split isolated(String regex) {
            return new Split(compile(regex), false, false);
        }

        static Pattern compile(String regex) {
            return Pattern.compile(regex, Pattern.UNICODE_CHARACTER_CLASS);
        }
    }

    private final List<Split> steps;

    PreTokenizer(List<Split> steps) {
        this.steps = List.copyOf(steps);
    }

    /** Emits the words of {@code text[start, end)} in order; empty pieces are dropped, as in HF. */
    void split(String text, int start, int end, WordSink sink) {
        split(text, start, end, 0, sink);
    }

    private void split(String text, int start, int end, int level, WordSink sink) {
        if (start >= end) {
            return;
        }
        if (level == steps.size()) {
            sink.word(text, start, end);
            return;
        }
        Split step = steps.get(level);
        // The region has opaque bounds (the Matcher default), so lookarounds cannot see past the
        // piece, just as HF applies the regex to each piece as a separate string.
        Matcher m = step.pattern().matcher(text);
        m.region(start, end);
        int prev = start;
        while (m.find()) {
            int s = m.start();
            int e = m.end();
            emit(text, prev, s, false, step, level, sink);
            emit(text, s, e, true, step, level, sink);
            prev = e;
        }
        emit(text, prev, end, false, step, level, sink);
    }

    private void emit(String text, int start, int end, boolean isMatch, Split step, int level, WordSink sink) {
        if (start >= end) {
            return;
        }
        // Isolated keeps every piece; Removed keeps only the non-matches (the matches, if inverted).
        if (step.removeMatches() && isMatch != step.invert()) {
            return;
        }
        split(text, start, end, level + 1, sink);
    }
}

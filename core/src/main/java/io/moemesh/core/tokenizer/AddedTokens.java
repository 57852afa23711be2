package io.moemesh.core.tokenizer;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;

/**
 * Finds added tokens ({@code <|im_start|>}, {@code <think>}, ...) in text before BPE sees it.
 *
 * <p>Matching follows HF's AddedVocabulary: leftmost-longest over all contents (HF builds an
 * Aho-Corasick automaton with {@code LeftmostLongest}); a match that violates {@code single_word}
 * is discarded and the search resumes after it; {@code lstrip}/{@code rstrip} widen the match over
 * neighbouring whitespace, which the token then swallows. Tokens with {@code normalized=false}
 * (all of Qwen3's) are matched in the raw text, the others in the normalized text with their
 * content normalized the same way; one instance of this class holds one of those two sets.
 *
 * <p>Added tokens are few and all of Qwen3's start with '<', so a first-character filter plus
 * {@code startsWith} over the candidates (longest first) beats an automaton here.
 */
final class AddedTokens {
    /** One added token as written in the file. */
    record Token(int id, String content, boolean special, boolean singleWord, boolean lstrip, boolean rstrip,
                 boolean normalized) {}

    /** Receives the split of a text: plain ranges and matched tokens, in order. */
    interface Sink {
        void text(String text, int start, int end);

        void token(int id);
    }

    // Rust regex's \w and \s, which HF uses for single_word / lstrip / rstrip.
    private static final Pattern WORD_CHAR = Pattern.compile("\\w", Pattern.UNICODE_CHARACTER_CLASS);
    private static final Pattern SPACE_CHAR = Pattern.compile("\\s", Pattern.UNICODE_CHARACTER_CLASS);

    /** A token and the string searched for it (its content, normalized for the normalized set). */
    private record Candidate(Token token, String needle) {}

    /** Indexed by first char: the candidates starting with it, longest first; null for most chars. */
    private final Candidate[][] byFirstChar = new Candidate[65536][];
    private final boolean empty;

    /**
     * @param tokens    the tokens of this set
     * @param normalize applied to each token's content before matching (identity for the raw set)
     */
    AddedTokens(List<Token> tokens, UnaryOperator<String> normalize) {
        Map<Character, List<Candidate>> map = new HashMap<>();
        for (Token t : tokens) {
            String s = normalize.apply(t.content());
            if (s.isEmpty()) {
                continue; // HF ignores empty added tokens
            }
            map.computeIfAbsent(s.charAt(0), c -> new ArrayList<>()).add(new Candidate(t, s));
        }
        for (var e : map.entrySet()) {
            List<Candidate> list = e.getValue();
            list.sort(Comparator.comparingInt((Candidate c) -> c.needle().length()).reversed());
            byFirstChar[e.getKey()] = list.toArray(new Candidate[0]);
        }
        empty = map.isEmpty();
    }

    /** Splits {@code text[start, end)} into plain ranges and added tokens. */
    void split(String text, int start, int end, Sink sink) {
        if (empty) {
            sink.text(text, start, end);
            return;
        }
        int plainStart = start; // start_offset in HF: first char not yet emitted
        int i = start;
        while (i < end) {
            Candidate[] candidates = byFirstChar[text.charAt(i)];
            Candidate found = candidates == null ? null : longestAt(candidates, text, i, end);
            if (found == null) {
                i++;
                continue;
            }
            Token match = found.token();
            int mStart = i;
            int mEnd = i + found.needle().length();
            if (match.singleWord()) {
                boolean startOk = mStart == start || !isWordChar(text.codePointBefore(mStart));
                boolean endOk = mEnd == end || !isWordChar(text.codePointAt(mEnd));
                if (!startOk || !endOk) {
                    i = mEnd; // the automaton resumes after a discarded match
                    continue;
                }
            }
            if (match.lstrip()) {
                int s = mStart;
                while (s > plainStart && isSpace(text.codePointBefore(s))) {
                    s -= Character.charCount(text.codePointBefore(s));
                }
                mStart = s;
            }
            if (match.rstrip()) {
                while (mEnd < end && isSpace(text.codePointAt(mEnd))) {
                    mEnd += Character.charCount(text.codePointAt(mEnd));
                }
            }
            if (plainStart < mStart) {
                sink.text(text, plainStart, mStart);
            }
            sink.token(match.id());
            plainStart = mEnd;
            i = mEnd;
        }
        if (plainStart < end) {
            sink.text(text, plainStart, end);
        }
    }

    private static Candidate longestAt(Candidate[] candidates, String text, int i, int end) {
        for (Candidate c : candidates) {
            if (c.needle().length() <= end - i && text.startsWith(c.needle(), i)) {
                return c;
            }
        }
        return null;
    }

    private static boolean isWordChar(int cp) {
        return WORD_CHAR.matcher(Character.toString(cp)).matches();
    }

    private static boolean isSpace(int cp) {
        return SPACE_CHAR.matcher(Character.toString(cp)).matches();
    }
}

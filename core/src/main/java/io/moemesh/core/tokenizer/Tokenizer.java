package io.moemesh.core.tokenizer;

import java.nio.CharBuffer;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The Qwen3 tokenizer: byte-level BPE exactly as described by a Hugging Face {@code tokenizer.json}.
 *
 * <p>Hand-written in plain Java instead of binding HF tokenizers through DJL, for two reasons.
 * Exactness: every step below is HF's own algorithm, checked id-for-id against HF {@code tokenizers}
 * run on the same file (TokenizerReferenceTest, TokenizerEdgeCaseTest), whereas the DJL binding
 * truncates to 512 tokens by default and so silently cuts long prompts. No native code: the serving
 * JVM loads no JNI library, so there is nothing platform-specific to ship and nothing that can crash
 * the process outside Java's control.
 *
 * <p>The encoding pipeline, in HF's order:
 * <ol>
 *   <li>added tokens with {@code normalized=false} (all of Qwen3's, special or not) are cut out of
 *       the raw text first, leftmost-longest ({@link AddedTokens}); this is HF's behaviour with
 *       {@code split_special_tokens=false}, so a prompt's {@code <|im_start|>} becomes one id;</li>
 *   <li>the remaining pieces are normalized (NFC), then searched for normalized added tokens;</li>
 *   <li>the pre-tokenizer regex cuts them into words ({@link PreTokenizer});</li>
 *   <li>each word's UTF-8 bytes are spelled in GPT-2's byte alphabet ({@link ByteLevelAlphabet}) and
 *       merged by BPE ({@link BpeModel}), with a per-word cache.</li>
 * </ol>
 * No special tokens are added and nothing is ever truncated.
 *
 * <p>Ids past the text-bearing vocabulary: the model's embedding has 151,936 rows but only 151,669
 * ids carry text, and a sampler may still pick one of the padding rows. The embedding size is not
 * known here, so every id in {@code [vocabSize(), ∞)} (and any hole in the id range) decodes to the
 * empty string rather than failing a whole generation; HF's decode drops such ids the same way.
 * Negative ids can only be a bug, and throw {@link TokenizerException}.
 *
 * <p>Instances are immutable apart from the word cache and safe to share between threads.
 */
public final class Tokenizer {
    private static final String EMBEDDED_QWEN3 = "/io/moemesh/core/tokenizer/qwen3/";
    private static final byte[] EMPTY = new byte[0];
    private static volatile Tokenizer embeddedQwen3;

    private final TextNormalizer normalizer;
    private final AddedTokens rawAddedTokens;
    private final AddedTokens normalizedAddedTokens;
    private final PreTokenizer preTokenizer;
    private final BpeModel model;
    private final Map<String, Integer> addedByContent;
    private final byte[][] idBytes;
    private final boolean[] special;
    private final String eosToken;
    private final String padToken;

    Tokenizer(TextNormalizer normalizer, AddedTokens rawAddedTokens, AddedTokens normalizedAddedTokens,
              PreTokenizer preTokenizer, BpeModel model, Map<String, Integer> addedByContent, byte[][] idBytes,
              boolean[] special, String eosToken, String padToken) {
        this.normalizer = normalizer;
        this.rawAddedTokens = rawAddedTokens;
        this.normalizedAddedTokens = normalizedAddedTokens;
        this.preTokenizer = preTokenizer;
        this.model = model;
        this.addedByContent = Map.copyOf(addedByContent);
        this.idBytes = idBytes;
        this.special = special;
        this.eosToken = eosToken;
        this.padToken = padToken;
    }

    /**
     * Loads {@code dir/tokenizer.json}, plus {@code dir/tokenizer_config.json} when present (for
     * {@code eos_token}, {@code pad_token} and extra {@code added_tokens_decoder} entries).
     *
     * @throws TokenizerException naming the file when it is missing, malformed or unsupported
     */
    public static Tokenizer load(Path dir) {
        return TokenizerLoader.load(dir);
    }

    /**
     * A Qwen2/Qwen3 byte-level BPE tokenizer from vocabulary lists, as a GGUF file stores them
     * ({@code tokenizer.ggml.tokens}, {@code .token_type}, {@code .merges}): see
     * {@link TokenizerLoader#fromVocabulary}.
     *
     * @param tokenTypes llama.cpp token types per id (1 normal, 3 control, 4 user-defined, 5 unused), or null for all normal
     * @param eosId      the end-of-sequence id, or null
     * @param padId      the padding id, or null
     * @param source     where the lists came from, for errors
     */
    public static Tokenizer fromVocabulary(java.util.List<String> tokens, int[] tokenTypes, java.util.List<String> merges,
                                           Integer eosId, Integer padId, String source) {
        return TokenizerLoader.fromVocabulary(tokens, tokenTypes, merges, eosId, padId, source);
    }

    /** Qwen3's tokenizer from the classpath, loaded on first use and shared afterwards. */
    public static Tokenizer embeddedQwen3() {
        Tokenizer t = embeddedQwen3;
        if (t == null) {
            synchronized (Tokenizer.class) {
                t = embeddedQwen3;
                if (t == null) {
                    t = TokenizerLoader.loadResources(EMBEDDED_QWEN3);
                    embeddedQwen3 = t;
                }
            }
        }
        return t;
    }

    /**
     * Encodes text to ids. No special tokens are added; added tokens written in the text (such as
     * {@code <|im_start|>} or {@code <think>}) are recognised and become their single id.
     */
    public int[] encode(String text) {
        IntList out = new IntList(text.length() / 3 + 8);
        PreTokenizer.WordSink words = (s, start, end) -> model.encodeWord(s, start, end, out);
        AddedTokens.Sink afterNormalization = new AddedTokens.Sink() {
            @Override
            public void text(String s, int start, int end) {
                preTokenizer.split(s, start, end, words);
            }

            @Override
            public void token(int id) {
                out.add(id);
            }
        };
        rawAddedTokens.split(text, 0, text.length(), new AddedTokens.Sink() {
            @Override
            public void text(String s, int start, int end) {
                // Normalize this piece only; pieces that already are normal (nearly all) are not copied.
                if (normalizer.isIdentityOn(CharBuffer.wrap(s, start, end))) {
                    normalizedAddedTokens.split(s, start, end, afterNormalization);
                } else {
                    String normalized = normalizer.apply(s.substring(start, end));
                    normalizedAddedTokens.split(normalized, 0, normalized.length(), afterNormalization);
                }
            }

            @Override
            public void token(int id) {
                out.add(id);
            }
        });
        return out.toArray();
    }

    /** Decodes all ids, special tokens included (HF's {@code skip_special_tokens=false}). */
    public String decode(int[] ids) {
        return decode(ids, false);
    }

    /**
     * Decodes ids to text. Invalid UTF-8 (e.g. a sequence cut in the middle of a character) becomes
     * U+FFFD per maximal invalid subpart, as HF does. Ids {@code >= vocabSize()} decode to "".
     *
     * @throws TokenizerException for a negative id
     */
    public String decode(int[] ids, boolean skipSpecialTokens) {
        int length = 0;
        for (int id : ids) {
            length += bytesForDecode(id, skipSpecialTokens).length;
        }
        byte[] all = new byte[length];
        int pos = 0;
        for (int id : ids) {
            byte[] b = bytesForDecode(id, skipSpecialTokens);
            System.arraycopy(b, 0, all, pos, b.length);
            pos += b.length;
        }
        return Utf8.decode(all, 0, length);
    }

    /**
     * The raw bytes a token stands for: for vocab tokens the bytes their byte-alphabet spelling
     * encodes (possibly part of a UTF-8 character), for added tokens the UTF-8 of their content.
     * Ids {@code >= vocabSize()} stand for no bytes (see the class comment).
     *
     * @throws TokenizerException for a negative id
     */
    public byte[] tokenBytes(int id) {
        return bytesOf(id).clone();
    }

    /** Exact lookup of a token's id: added tokens by content, then vocab entries by their byte-alphabet spelling. */
    public OptionalInt tokenId(String tokenText) {
        Integer id = addedByContent.get(tokenText);
        if (id == null) {
            id = model.tokenToId(tokenText);
        }
        return id == null ? OptionalInt.empty() : OptionalInt.of(id);
    }

    /** Highest id + 1 over the vocab and the added tokens (151,669 for Qwen3). */
    public int vocabSize() {
        return idBytes.length;
    }

    /** True for added tokens marked special ({@code <|im_end|>}; not {@code <think>}). */
    public boolean isSpecial(int id) {
        return id >= 0 && id < special.length && special[id];
    }

    /** The end-of-sequence token from {@code tokenizer_config.json}, when present. */
    public Optional<String> eosToken() {
        return Optional.ofNullable(eosToken);
    }

    /** The padding token from {@code tokenizer_config.json}, when present. */
    public Optional<String> padToken() {
        return Optional.ofNullable(padToken);
    }

    /** A decoder for one stream of generated ids; see {@link IncrementalDecoder}. */
    public IncrementalDecoder newDecoder(boolean skipSpecialTokens) {
        return new IncrementalDecoder(this, skipSpecialTokens);
    }

    /** The bytes an id contributes to decoded text (shared array: callers must not modify it). */
    byte[] bytesForDecode(int id, boolean skipSpecialTokens) {
        byte[] b = bytesOf(id);
        return skipSpecialTokens && isSpecial(id) ? EMPTY : b;
    }

    private byte[] bytesOf(int id) {
        if (id < 0) {
            throw new TokenizerException("negative token id " + id);
        }
        return id < idBytes.length ? idBytes[id] : EMPTY;
    }
}

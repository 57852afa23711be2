package io.moemesh.core.tokenizer;

/** A hand-made tokenizer.json small enough to reason about merge order and added-token flags. */
final class TinyTokenizer {
    static final int A = 0;
    static final int B = 1;
    static final int C = 2;
    static final int SPACE = 3;
    static final int AB = 4;
    static final int BC = 5;
    static final int ABC = 6;
    static final int LSTRIP = 7;
    static final int RSTRIP = 8;
    static final int SINGLE_WORD = 9;
    static final int LONG = 10;

    private TinyTokenizer() {}

    /** The tokenizer.json text with the given merges (the body of the JSON array). */
    static String json(String merges) {
        return """
            {
              "version": "1.0",
              "added_tokens": [
                {"id": 7, "content": "<L>", "single_word": false, "lstrip": true, "rstrip": false, "normalized": false, "special": true},
                {"id": 8, "content": "<R>", "single_word": false, "lstrip": false, "rstrip": true, "normalized": false, "special": false},
                {"id": 9, "content": "<W>", "single_word": true, "lstrip": false, "rstrip": false, "normalized": false, "special": false},
                {"id": 10, "content": "<L><L>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": false}
              ],
              "normalizer": {"type": "NFC"},
              "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
                {"type": "Split", "pattern": {"Regex": "\\\\s+|[^\\\\s]+"}, "behavior": "Isolated", "invert": false},
                {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": false, "use_regex": false}
              ]},
              "decoder": {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": false, "use_regex": false},
              "model": {
                "type": "BPE", "dropout": null, "unk_token": null, "continuing_subword_prefix": "",
                "end_of_word_suffix": "", "fuse_unk": false, "byte_fallback": false, "ignore_merges": false,
                "vocab": {"a": 0, "b": 1, "c": 2, "Ġ": 3, "ab": 4, "bc": 5, "abc": 6},
                "merges": [%s]
              }
            }
            """.formatted(merges);
    }
}

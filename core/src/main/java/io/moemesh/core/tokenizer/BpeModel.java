package io.moemesh.core.tokenizer;

import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The byte-level BPE model: turns one pre-token (a "word") into vocab ids by applying merges.
 *
 * <p>The merge order copies HF tokenizers' {@code Word::merge_all} exactly, not the textbook GPT-2
 * loop: a priority queue holds every adjacent pair that has a merge, ordered by merge rank and then
 * by position (leftmost first); the lowest is merged, stale entries are skipped when popped, and the
 * two pairs formed with the neighbours are pushed. The two algorithms agree on sane merge tables, but
 * only this one is identical on all of them, and exact ids are the point of the class.
 *
 * <p>Everything in the hot loop is primitive: symbols are ids in int arrays linked as a list, the
 * queue is two parallel arrays, and merges live in an open-addressing {@code long -> long} table, so
 * a word costs a handful of array allocations and no per-character objects.
 *
 * <p>Results are cached per word because natural text repeats a small set of words; see
 * {@link #CACHE_CAPACITY}.
 */
final class BpeModel {
    /**
     * Upper bound on cached words. When full the cache is cleared and refills with what is in use
     * now: cheaper than LRU bookkeeping on every hit, and unlike HF's cache (which stops inserting
     * once full) it does not freeze on whatever words a long-running server happened to see first.
     */
    static final int CACHE_CAPACITY = 65_536;
    /** Longer words rarely repeat and would only pin memory. */
    static final int MAX_CACHED_WORD_CHARS = 128;

    private final Map<String, Integer> vocab;
    private final String[] idToToken;
    /** Vocab id of each byte's alphabet character, -1 where the vocab lacks it. */
    private final int[] byteIds = new int[256];
    private final MergeTable merges;
    private final int unkId;
    private final boolean fuseUnk;
    private final ConcurrentHashMap<String, int[]> cache = new ConcurrentHashMap<>();

    /**
     * @param vocab     token (in the byte alphabet) to id
     * @param mergeLeft mergeLeft[r], mergeRight[r]: the pair merged with rank r
     * @param unkId     the unknown token's id, or -1 for none (Qwen3: none; unknown bytes are dropped as HF does)
     */
    BpeModel(Map<String, Integer> vocab, String[] mergeLeft, String[] mergeRight, int unkId, boolean fuseUnk) {
        this.vocab = vocab;
        int maxId = -1;
        for (int id : vocab.values()) {
            maxId = Math.max(maxId, id);
        }
        this.idToToken = new String[maxId + 1];
        for (Map.Entry<String, Integer> e : vocab.entrySet()) {
            idToToken[e.getValue()] = e.getKey();
        }
        for (int b = 0; b < 256; b++) {
            Integer id = vocab.get(ByteLevelAlphabet.spell(b));
            byteIds[b] = id == null ? -1 : id;
        }
        this.merges = new MergeTable(mergeLeft.length);
        for (int rank = 0; rank < mergeLeft.length; rank++) {
            Integer a = vocab.get(mergeLeft[rank]);
            Integer b = vocab.get(mergeRight[rank]);
            Integer ab = vocab.get(mergeLeft[rank] + mergeRight[rank]);
            if (a == null || b == null || ab == null) {
                throw new IllegalArgumentException("merge " + rank + " (\"" + mergeLeft[rank] + "\" \""
                        + mergeRight[rank] + "\") uses a token missing from the vocab");
            }
            // A later duplicate overwrites an earlier one, as collecting into HF's HashMap does.
            merges.put(a, b, rank, ab);
        }
        this.unkId = unkId;
        this.fuseUnk = fuseUnk;
    }

    Integer tokenToId(String token) {
        return vocab.get(token);
    }

    /** Highest vocab id + 1. */
    int size() {
        return idToToken.length;
    }

    /** The vocab string for an id, or null for a hole. */
    String idToToken(int id) {
        return id >= 0 && id < idToToken.length ? idToToken[id] : null;
    }

    /** Appends the ids for the word {@code text[start, end)} to {@code out}. */
    void encodeWord(String text, int start, int end, IntList out) {
        if (end - start <= MAX_CACHED_WORD_CHARS) {
            String key = text.substring(start, end);
            int[] ids = cache.get(key);
            if (ids == null) {
                ids = merge(text, start, end);
                if (cache.size() >= CACHE_CAPACITY) {
                    cache.clear();
                }
                cache.put(key, ids);
            }
            out.addAll(ids);
        } else {
            out.addAll(merge(text, start, end));
        }
    }

    /** The BPE of one word, uncached. Package-private for tests. */
    int[] merge(String text, int start, int end) {
        // 1. The word's UTF-8 bytes, each replaced by the id of its alphabet character.
        int[] sym = new int[3 * (end - start)];
        int n = 0;
        for (int i = start; i < end; ) {
            char ch = text.charAt(i++);
            int cp = ch;
            if (Character.isHighSurrogate(ch) && i < end && Character.isLowSurrogate(text.charAt(i))) {
                cp = Character.toCodePoint(ch, text.charAt(i++));
            } else if (Character.isSurrogate(ch)) {
                cp = 0xFFFD; // a lone surrogate has no UTF-8 form; Rust strings cannot even hold one
            }
            if (cp < 0x80) {
                n = pushByte(sym, n, cp);
            } else if (cp < 0x800) {
                n = pushByte(sym, n, 0xC0 | (cp >> 6));
                n = pushByte(sym, n, 0x80 | (cp & 0x3F));
            } else if (cp < 0x10000) {
                n = pushByte(sym, n, 0xE0 | (cp >> 12));
                n = pushByte(sym, n, 0x80 | ((cp >> 6) & 0x3F));
                n = pushByte(sym, n, 0x80 | (cp & 0x3F));
            } else {
                n = pushByte(sym, n, 0xF0 | (cp >> 18));
                n = pushByte(sym, n, 0x80 | ((cp >> 12) & 0x3F));
                n = pushByte(sym, n, 0x80 | ((cp >> 6) & 0x3F));
                n = pushByte(sym, n, 0x80 | (cp & 0x3F));
            }
        }
        if (n <= 1) {
            return Arrays.copyOf(sym, n);
        }

        // 2. Merge, lowest rank first, as HF's Word::merge_all.
        int[] prev = new int[n];
        int[] next = new int[n];
        boolean[] removed = new boolean[n];
        for (int i = 0; i < n; i++) {
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        Queue queue = new Queue(3 * n);
        for (int i = 0; i + 1 < n; i++) {
            long m = merges.get(sym[i], sym[i + 1]);
            if (m != MergeTable.NONE) {
                queue.push(MergeTable.rank(m), i, MergeTable.newId(m));
            }
        }
        while (queue.size > 0) {
            long top = queue.popKey();
            int newId = queue.poppedNewId;
            int pos = (int) top;
            if (removed[pos] || next[pos] < 0) {
                continue;
            }
            int right = next[pos];
            // Stale entry: the pair at pos has changed since it was queued.
            long current = merges.get(sym[pos], sym[right]);
            if (current == MergeTable.NONE || MergeTable.newId(current) != newId) {
                continue;
            }
            sym[pos] = newId;
            removed[right] = true;
            int after = next[right];
            next[pos] = after;
            if (after >= 0) {
                prev[after] = pos;
            }
            if (prev[pos] >= 0) {
                long m = merges.get(sym[prev[pos]], sym[pos]);
                if (m != MergeTable.NONE) {
                    queue.push(MergeTable.rank(m), prev[pos], MergeTable.newId(m));
                }
            }
            if (after >= 0) {
                long m = merges.get(sym[pos], sym[after]);
                if (m != MergeTable.NONE) {
                    queue.push(MergeTable.rank(m), pos, MergeTable.newId(m));
                }
            }
        }
        int count = 0;
        for (int i = 0; i >= 0; i = next[i]) {
            count++;
        }
        int[] ids = new int[count];
        int k = 0;
        for (int i = 0; i >= 0; i = next[i]) {
            ids[k++] = sym[i];
        }
        return ids;
    }

    /** Appends the symbol for one byte; a byte with no vocab entry becomes unk, or is dropped as HF does without one. */
    private int pushByte(int[] sym, int n, int b) {
        int id = byteIds[b];
        if (id >= 0) {
            sym[n++] = id;
        } else if (unkId >= 0 && !(fuseUnk && n > 0 && sym[n - 1] == unkId)) {
            sym[n++] = unkId;
        }
        return n;
    }

    /** Min-heap on (rank, position), carrying the merged id so stale entries can be recognised. */
    private static final class Queue {
        long[] keys;
        int[] newIds;
        int size;
        int poppedNewId;

        Queue(int capacity) {
            keys = new long[Math.max(capacity, 4)];
            newIds = new int[keys.length];
        }

        void push(int rank, int pos, int newId) {
            if (size == keys.length) {
                keys = Arrays.copyOf(keys, size * 2);
                newIds = Arrays.copyOf(newIds, size * 2);
            }
            long key = ((long) rank << 32) | pos;
            int i = size++;
            while (i > 0) {
                int parent = (i - 1) >>> 1;
                if (keys[parent] <= key) {
                    break;
                }
                keys[i] = keys[parent];
                newIds[i] = newIds[parent];
                i = parent;
            }
            keys[i] = key;
            newIds[i] = newId;
        }

        long popKey() {
            long top = keys[0];
            poppedNewId = newIds[0];
            size--;
            if (size > 0) {
                long key = keys[size];
                int id = newIds[size];
                int i = 0;
                while (true) {
                    int child = 2 * i + 1;
                    if (child >= size) {
                        break;
                    }
                    if (child + 1 < size && keys[child + 1] < keys[child]) {
                        child++;
                    }
                    if (keys[child] >= key) {
                        break;
                    }
                    keys[i] = keys[child];
                    newIds[i] = newIds[child];
                    i = child;
                }
                keys[i] = key;
                newIds[i] = id;
            }
            return top;
        }
    }

    /** Open-addressing map from a pair of ids to (rank, merged id), both packed into longs. */
    private static final class MergeTable {
        static final long NONE = -1L;
        private final long[] keys;
        private final long[] values;
        private final int mask;

        MergeTable(int expected) {
            int cap = Integer.highestOneBit(Math.max(4, expected * 2 - 1)) << 1;
            keys = new long[cap];
            values = new long[cap];
            Arrays.fill(keys, NONE);
            mask = cap - 1;
        }

        static int rank(long value) {
            return (int) (value >>> 32);
        }

        static int newId(long value) {
            return (int) value;
        }

        private int slot(long key) {
            long h = key * 0x9E3779B97F4A7C15L;
            return (int) (h ^ (h >>> 32)) & mask;
        }

        void put(int a, int b, int rank, int newId) {
            long key = ((long) a << 32) | (b & 0xFFFFFFFFL);
            int i = slot(key);
            while (keys[i] != NONE && keys[i] != key) {
                i = (i + 1) & mask;
            }
            keys[i] = key;
            values[i] = ((long) rank << 32) | (newId & 0xFFFFFFFFL);
        }

        long get(int a, int b) {
            long key = ((long) a << 32) | (b & 0xFFFFFFFFL);
            int i = slot(key);
            while (true) {
                long k = keys[i];
                if (k == key) {
                    return values[i];
                }
                if (k == NONE) {
                    return NONE;
                }
                i = (i + 1) & mask;
            }
        }
    }
}

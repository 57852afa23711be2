package io.moemesh.core.nn;

import java.util.Arrays;

/**
 * Keys and values of one sequence at one layer, post-RoPE, growing as tokens arrive. Stored in pages of
 * {@link #PAGE} positions: a growing sequence adds a page now and then instead of copying everything it holds into
 * an array twice as large (which made every doubling garbage on the decode path), and a short one holds at most
 * one partly used page. Pages come from, and go back to, a {@link KvPages} shared by the caches of a JVM.
 *
 * <p>A key page is stored transposed, element by element ({@link #keyIndex}): element i of the page's {@link #PAGE}
 * keys side by side, so that the attention kernel scores a vector's worth of positions with one multiply-add per
 * element and no sum across lanes ({@link VectorAttentionKernel}). Values stay position by position: a position's
 * weight times its whole value row is what the kernel adds up.
 */
public final class KvCache {
    /** Positions per page: a power of two, so that a position's page and offset are a shift and a mask. */
    public static final int PAGE = 64;
    private static final int SHIFT = Integer.numberOfTrailingZeros(PAGE);

    private final KvPages pages;
    private final int kvDim;
    private float[][] keyPages = new float[4][];
    private float[][] valuePages = new float[4][];
    private int length;

    public KvCache(KvPages pages) {
        this.pages = pages;
        this.kvDim = pages.kvDim();
    }

    /** Floats of one position's key and of its value: every KV head's. */
    public int kvDim() {
        return kvDim;
    }

    public int length() {
        return length;
    }

    /** The page holding the key of {@code position}: its element i at {@link #keyIndex}(i, position). */
    public float[] keyPage(int position) {
        return keyPages[position >>> SHIFT];
    }

    /** Where element {@code element} of the key of {@code position} is in its page: the page's keys transposed. */
    public static int keyIndex(int element, int position) {
        return element * PAGE + (position & (PAGE - 1));
    }

    /** The page holding the value of {@code position}; the value starts at {@link #offset(int)} in it. */
    public float[] valuePage(int position) {
        return valuePages[position >>> SHIFT];
    }

    /** Where the value of {@code position} starts in its page. */
    public int offset(int position) {
        return (position & (PAGE - 1)) * kvDim;
    }

    public void append(float[] k, int kOffset, float[] v, int vOffset) {
        int page = length >>> SHIFT;
        if ((length & (PAGE - 1)) == 0) {
            if (page == keyPages.length) {
                keyPages = Arrays.copyOf(keyPages, page * 2);
                valuePages = Arrays.copyOf(valuePages, page * 2);
            }
            keyPages[page] = pages.take();
            valuePages[page] = pages.take();
        }
        float[] keys = keyPages[page];
        for (int i = 0; i < kvDim; i++) {
            keys[keyIndex(i, length)] = k[kOffset + i];
        }
        System.arraycopy(v, vOffset, valuePages[page], offset(length), kvDim);
        length++;
    }

    /**
     * Hands every page back to the pool and empties the cache: its sequence has ended. The caller makes sure nothing
     * reads or appends to the cache any more (once a page is taken by another cache, it is that cache's).
     */
    public void release() {
        for (int p = 0; p < keyPages.length && keyPages[p] != null; p++) {
            pages.give(keyPages[p]);
            pages.give(valuePages[p]);
            keyPages[p] = null;
            valuePages[p] = null;
        }
        length = 0;
    }
}

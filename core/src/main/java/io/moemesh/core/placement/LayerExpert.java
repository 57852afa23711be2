package io.moemesh.core.placement;

import java.util.Comparator;

/** One expert FFN of the model: expert {@code expert} of layer {@code layer}, the unit that placement moves. */
public record LayerExpert(int layer, int expert) implements Comparable<LayerExpert> {
    private static final Comparator<LayerExpert> ORDER =
            Comparator.comparingInt(LayerExpert::layer).thenComparingInt(LayerExpert::expert);

    public LayerExpert {
        if (layer < 0 || expert < 0) {
            throw new IllegalArgumentException("negative layer or expert: " + layer + ":" + expert);
        }
    }

    @Override
    public int compareTo(LayerExpert other) {
        return ORDER.compare(this, other);
    }

    @Override
    public String toString() {
        return layer + ":" + expert;
    }
}

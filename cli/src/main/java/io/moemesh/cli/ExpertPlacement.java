package io.moemesh.cli;

import java.util.ArrayList;
import java.util.List;

/**
 * Spreads every layer's experts over {@code hosts} expert-services with {@code replicas} copies each: the experts
 * are cut into {@code hosts} contiguous slices and host j takes slices j, j+1, …, j+replicas−1 (mod hosts).
 * Returns each host's spec in the expert-service syntax ({@code LAYERS:EXPERTS;…}).
 */
final class ExpertPlacement {
    private ExpertPlacement() {
    }

    static List<String> spread(int layers, int experts, int hosts, int replicas) {
        if (hosts < 1 || hosts > experts) {
            throw new IllegalArgumentException("--expert-services must be in 1.." + experts + ", got " + hosts);
        }
        if (replicas < 1 || replicas > hosts) {
            throw new IllegalArgumentException("--replicas must be in 1..--expert-services (" + hosts + "), got " + replicas);
        }
        List<String> specs = new ArrayList<>();
        for (int host = 0; host < hosts; host++) {
            List<String> blocks = new ArrayList<>();
            for (int r = 0; r < replicas; r++) {
                int slice = (host + r) % hosts;
                int first = (int) ((long) experts * slice / hosts);
                int last = (int) ((long) experts * (slice + 1) / hosts) - 1;
                blocks.add("0-" + (layers - 1) + ":" + first + "-" + last);
            }
            specs.add(String.join(";", blocks));
        }
        return specs;
    }
}

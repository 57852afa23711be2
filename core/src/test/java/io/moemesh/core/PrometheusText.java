package io.moemesh.core;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads samples out of a Prometheus text exposition (what /q/metrics answers), for tests of every service. */
public final class PrometheusText {
    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{[^}]*})?\\s+(\\S+)$");

    private PrometheusText() {
    }

    /**
     * The sum of series {@code name} over the samples whose label set contains every {@code k="v"} of {@code labels}
     * (in any order); 0 when there is none.
     */
    public static double sum(String exposition, String name, String... labels) {
        double sum = 0;
        for (String line : exposition.split("\n")) {
            Matcher m = SAMPLE.matcher(line.strip());
            if (!m.matches() || !m.group(1).equals(name)) {
                continue;
            }
            String set = m.group(2) == null ? "" : m.group(2);
            boolean all = true;
            for (String label : labels) {
                all &= set.contains(label);
            }
            if (all) {
                sum += Double.parseDouble(m.group(3));
            }
        }
        return sum;
    }

    /** Whether the exposition has a sample of series {@code name} at all. */
    public static boolean has(String exposition, String name) {
        return exposition.lines().anyMatch(l -> l.startsWith(name + "{") || l.startsWith(name + " "));
    }
}

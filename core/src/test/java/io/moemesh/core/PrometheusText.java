package io.moemesh.core;

import io.moemesh.core.placement.PrometheusSamples;
import java.util.Map;

/** Sums samples out of a Prometheus text exposition (what /q/metrics answers), for tests of every service. */
public final class PrometheusText {
    private PrometheusText() {
    }

    /**
     * The sum of series {@code name} over the samples that have every {@code k="v"} of {@code labels}; 0 when there
     * is none.
     */
    public static double sum(String exposition, String name, String... labels) {
        return PrometheusSamples.parse(exposition, name).stream()
                .filter(s -> hasAll(s.labels(), labels))
                .mapToDouble(PrometheusSamples.Sample::value).sum();
    }

    /** Whether the exposition has a sample of series {@code name} at all. */
    public static boolean has(String exposition, String name) {
        return !PrometheusSamples.parse(exposition, name).isEmpty();
    }

    private static boolean hasAll(Map<String, String> have, String[] wanted) {
        for (String label : wanted) {
            int eq = label.indexOf('=');
            String value = label.substring(eq + 1).replaceAll("^\"|\"$", "");
            if (!value.equals(have.get(label.substring(0, eq)))) {
                return false;
            }
        }
        return true;
    }
}

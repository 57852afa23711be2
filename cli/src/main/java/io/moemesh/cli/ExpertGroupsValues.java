package io.moemesh.cli;

import io.moemesh.core.placement.ExpertGroup;
import io.moemesh.core.placement.PlacementPlan;

import java.util.OptionalInt;

/**
 * A plan as the Helm chart's {@code expertGroups:} values. Written as text rather than through a YAML library: the
 * shape is fixed, the values are names, numbers and specs made of digits and {@code ,;:-}, and the header comment
 * (which says how the plan was made) is something YAML libraries do not write.
 */
final class ExpertGroupsValues {
    private ExpertGroupsValues() {
    }

    /**
     * {@code targetTokensPerSecond} empty: autoscaling off (the replicas stay as planned), since a target is a rate
     * the load file cannot tell.
     */
    static String render(String header, PlacementPlan plan, int minReplicas, int maxReplicas,
                         OptionalInt targetTokensPerSecond) {
        StringBuilder yaml = new StringBuilder();
        yaml.append("# ").append(header.replaceAll("[\\r\\n]+", " ")).append('\n');
        yaml.append("expertGroups:\n");
        for (ExpertGroup g : plan.groups()) {
            yaml.append("  - name: ").append(g.name()).append('\n');
            // Quoted: a spec such as 0:1 would otherwise read as a YAML 1.1 sexagesimal number.
            yaml.append("    hosted: \"").append(g.hostedSpec()).append("\"\n");
            yaml.append("    replicas: ").append(g.replicas()).append('\n');
            yaml.append("    minReplicas: ").append(minReplicas).append('\n');
            yaml.append("    maxReplicas: ").append(maxReplicas).append('\n');
            yaml.append("    autoscaling:\n");
            yaml.append("      enabled: ").append(targetTokensPerSecond.isPresent()).append('\n');
            targetTokensPerSecond.ifPresent(t -> yaml.append("      targetTokensPerSecond: ").append(t).append('\n'));
        }
        return yaml.toString();
    }
}

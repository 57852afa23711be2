package io.moemesh.cli;

import io.moemesh.core.placement.ExpertGroup;
import io.moemesh.core.placement.ExpertLoad;
import io.moemesh.core.placement.PlacementPlan;
import io.moemesh.core.placement.PlacementPlanner;
import io.moemesh.core.placement.PlanBalance;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.OptionalInt;
import java.util.concurrent.Callable;

/** Expert placement from the router's measured load, as values for the Helm chart. */
@Command(name = "plan", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Place the experts on --groups expert groups (Deployments) so that every replica serves about "
                        + "the same tokens, from the load the router measured: its JSON (GET /expert-load) or its "
                        + "Prometheus metrics (/q/metrics, the moemesh_router_expert_tokens_total counters).",
                "",
                "Per layer (a layer step waits for its slowest replica) every group gets the same slots, the hottest "
                        + "experts get extra copies on other groups, copies are packed heaviest first into the lightest "
                        + "group, then swapped towards even. Replicas follow each group's load, the hottest group on "
                        + "--max-replicas.",
                "",
                "Writes the chart's expertGroups: values (stdout or --output); prints on stderr the plan and the "
                        + "imbalance (max/mean load per replica) before (contiguous slices of experts, as local-mesh "
                        + "places them) and after.",
                "",
                "Example:",
                "  curl -s http://ROUTER/expert-load > load.json",
                "  ./moe-mesh plan --load load.json --groups 4 --max-replicas 4 \\",
                "      --target-tokens-per-second 2000 --output values-experts.yaml"})
final class PlanCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--load", required = true, paramLabel = "FILE",
            description = "The router's load: its /expert-load JSON or its /q/metrics Prometheus text (told apart by content).")
    Path load;

    @Option(names = "--groups", required = true, paramLabel = "G", description = "Expert groups (Deployments), 1 to the experts per layer.")
    int groups;

    @Option(names = "--max-replicas", required = true, paramLabel = "R",
            description = "Replicas of the hottest group, and every group's autoscaling maximum.")
    int maxReplicas;

    @Option(names = "--min-replicas", defaultValue = "1", paramLabel = "N",
            description = "Fewest replicas of any group, and its autoscaling minimum (default ${DEFAULT-VALUE}).")
    int minReplicas;

    @Option(names = "--spare-slots", paramLabel = "N",
            description = "Slots per group per layer beyond an even share of the experts, for hot experts' extra copies "
                    + "(default: an eighth of the even share, rounded up). More spares, more memory per replica.")
    Integer spareSlots;

    @Option(names = "--target-tokens-per-second", paramLabel = "X",
            description = "Tokens per second per replica the autoscaler aims for; without it autoscaling is off in the values.")
    Integer targetTokensPerSecond;

    @Option(names = "--output", paramLabel = "FILE", description = "Write the values here instead of stdout.")
    Path output;

    @Option(names = "--layers", paramLabel = "L",
            description = "The model's layers (default: from the load; Prometheus text only shows the layers that got tokens).")
    Integer layers;

    @Option(names = "--experts", paramLabel = "E",
            description = "The model's experts per layer (default: from the load, as for --layers).")
    Integer experts;

    @Override
    public Integer call() {
        checkOptions();
        ExpertLoad expertLoad = readLoad();
        if (groups > expertLoad.experts()) {
            throw fail("--groups " + groups + " is more than the " + expertLoad.experts() + " experts per layer of "
                    + load + ": some group would host nothing");
        }
        if (expertLoad.totalTokens() <= 0) {
            throw fail("--load " + load + ": every expert has 0 tokens, nothing to balance (has the router served "
                    + "requests since it started?)");
        }
        PlacementPlanner planner = new PlacementPlanner(groups, minReplicas, maxReplicas,
                spareSlots == null ? OptionalInt.empty() : OptionalInt.of(spareSlots));
        PlanBalance before = PlanBalance.of(planner.naive(expertLoad), expertLoad);
        PlacementPlan plan = planner.plan(expertLoad);
        PlanBalance after = PlanBalance.of(plan, expertLoad);

        String values = ExpertGroupsValues.render(header(expertLoad, planner, before, after), plan, minReplicas,
                maxReplicas, targetTokensPerSecond == null ? OptionalInt.empty() : OptionalInt.of(targetTokensPerSecond));
        PrintWriter err = spec.commandLine().getErr();
        printTable(err, expertLoad, planner, after, before);
        if (output == null) {
            Output.OUT.print(values);
            Output.OUT.flush();
        } else {
            try {
                Files.writeString(output, values, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw fail("cannot write --output " + output + ": " + e);
            }
            err.println("[INFO] wrote " + output);
        }
        err.flush();
        return 0;
    }

    private void checkOptions() {
        if (groups < 1) {
            throw fail("--groups must be at least 1, got " + groups);
        }
        if (maxReplicas < 1) {
            throw fail("--max-replicas must be at least 1, got " + maxReplicas);
        }
        if (minReplicas < 1 || minReplicas > maxReplicas) {
            throw fail("--min-replicas must be in 1..--max-replicas (" + maxReplicas + "), got " + minReplicas);
        }
        if (spareSlots != null && spareSlots < 0) {
            throw fail("--spare-slots must be >= 0, got " + spareSlots);
        }
        if (targetTokensPerSecond != null && targetTokensPerSecond < 1) {
            throw fail("--target-tokens-per-second must be at least 1, got " + targetTokensPerSecond);
        }
        if (layers != null && layers < 1 || experts != null && experts < 1) {
            throw fail("--layers and --experts must be at least 1");
        }
    }

    private ExpertLoad readLoad() {
        try {
            return ExpertLoad.read(load, layers == null ? ExpertLoad.FROM_LOAD : layers,
                    experts == null ? ExpertLoad.FROM_LOAD : experts);
        } catch (NoSuchFileException e) {
            throw fail("cannot read --load " + load + ": no such file");
        } catch (MalformedInputException e) {
            throw fail("cannot read --load " + load + ": not UTF-8 text");
        } catch (IOException e) {
            throw fail("cannot read --load " + load + ": " + e);
        } catch (IllegalArgumentException e) {
            throw fail("--load " + load + ": " + e.getMessage());
        }
    }

    /** Bad input is a usage error: exit 2 with the message and a pointer to --help (Main's parameter handler). */
    private CommandLine.ParameterException fail(String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }

    private String header(ExpertLoad expertLoad, PlacementPlanner planner, PlanBalance before, PlanBalance after) {
        return String.format(Locale.ROOT, "written by ./moe-mesh plan: --load %s (%d layers x %d experts, %.0f tokens)"
                        + " --groups %d --max-replicas %d --min-replicas %d, %d slots per group per layer;"
                        + " imbalance (max/mean load per replica) before %.2f, after %.2f",
                load, expertLoad.layers(), expertLoad.experts(), expertLoad.totalTokens(), groups, maxReplicas,
                minReplicas, planner.slotsPerLayer(expertLoad.experts()), before.imbalance(), after.imbalance());
    }

    private void printTable(PrintWriter err, ExpertLoad expertLoad, PlacementPlanner planner, PlanBalance after,
                            PlanBalance before) {
        int slots = planner.slotsPerLayer(expertLoad.experts());
        err.printf(Locale.ROOT, "%d layers x %d experts, %.0f tokens, on %d groups of %d slots per layer (%d spare)%n",
                expertLoad.layers(), expertLoad.experts(), expertLoad.totalTokens(), groups, slots,
                slots - Math.ceilDiv(expertLoad.experts(), groups));
        err.printf("%-6s %12s %11s %9s %14s %8s%n", "group", "slots/layer", "load share", "replicas", "load/replica",
                "vs mean");
        double total = expertLoad.totalTokens();
        int replicas = after.groups().stream().mapToInt(g -> g.group().replicas()).sum();
        for (PlanBalance.GroupLoad g : after.groups()) {
            ExpertGroup group = g.group();
            err.printf(Locale.ROOT, "%-6s %12d %10.1f%% %9d %13.2f%% %7.2fx%n", group.name(), group.slotsIn(0),
                    100 * g.tokens() / total, group.replicas(), 100 * g.tokensPerReplica() / total,
                    g.tokensPerReplica() / (total / replicas));
        }
        err.printf(Locale.ROOT, "imbalance (max/mean load per replica): before %.2f (worst layer %.2f, layer %d),"
                        + " after %.2f (worst layer %.2f, layer %d)%n", before.imbalance(), before.worstLayerImbalance(),
                before.worstLayer(), after.imbalance(), after.worstLayerImbalance(), after.worstLayer());
    }
}

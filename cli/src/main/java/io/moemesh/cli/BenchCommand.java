package io.moemesh.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code ./moe-mesh bench <what>}: benchmarks that print a table (or JSON lines), ratios measured in one run. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Benchmarks. Each prints a table (or one JSON object per line with --json) and compares against a "
                        + "baseline measured in the same run, since absolute numbers on a shared machine are noisy."},
        subcommands = {BenchKernelsCommand.class, BenchDecodeCommand.class, BenchMeshCommand.class, BenchServeCommand.class,
                CommandLine.HelpCommand.class})
final class BenchCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}

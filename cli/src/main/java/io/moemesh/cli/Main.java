package io.moemesh.cli;

import io.moemesh.core.chat.ChatTemplateException;
import io.moemesh.core.config.ConfigException;
import io.moemesh.core.tokenizer.TokenizerException;
import io.moemesh.core.weights.CheckpointException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;

/** {@code ./moe-mesh <command>}: the engine from the command line. */
@Command(name = "moe-mesh", mixinStandardHelpOptions = true, version = "moe-mesh 0.1.0",
        description = {"Qwen3 / Qwen3-MoE inference on CPUs, in one JVM or split across a mesh of services.",
                "Without --model, commands use the embedded default model (random weights, real Qwen3 tokenizer), "
                        + "written once under $MOEMESH_HOME (default ~/.cache/moe-mesh)."},
        subcommands = {ServeCommand.class, GenerateCommand.class, ForwardCommand.class, TokenizeCommand.class, ChatTemplateCommand.class, LocalMeshCommand.class, PlanCommand.class, BenchCommand.class,
                CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs a command and returns its exit code (tests call this in-process too). */
    public static int run(String... args) {
        // One line per log record on stderr; stdout carries only the command's output.
        if (System.getProperty("java.util.logging.SimpleFormatter.format") == null) {
            System.setProperty("java.util.logging.SimpleFormatter.format", "[%4$s] %5$s%6$s%n");
        }
        CommandLine cli = new CommandLine(new Main());
        cli.setExecutionExceptionHandler(Main::handleFailure);
        cli.setParameterExceptionHandler((e, args1) -> {
            PrintWriter err = e.getCommandLine().getErr();
            err.println("error: " + e.getMessage());
            err.println("Try '" + e.getCommandLine().getCommandSpec().qualifiedName() + " --help' for usage.");
            return 2;
        });
        return cli.execute(args);
    }

    /** Known failures (bad files, bad input) print one line naming the problem; anything else keeps its trace. */
    private static int handleFailure(Exception e, CommandLine cli, CommandLine.ParseResult parsed) {
        PrintWriter err = cli.getErr();
        boolean expected = e instanceof CheckpointException || e instanceof ConfigException
                || e instanceof TokenizerException || e instanceof ChatTemplateException
                || e instanceof IllegalArgumentException || e instanceof java.io.UncheckedIOException;
        err.println("error: " + (e.getMessage() != null ? e.getMessage() : e.toString()));
        if (!expected || System.getenv("MOEMESH_DEBUG") != null) {
            e.printStackTrace(err);
        }
        err.flush();
        return 1;
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}

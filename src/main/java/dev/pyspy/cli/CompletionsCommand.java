package dev.pyspy.cli;

import dev.pyspy.ExitCode;
import dev.pyspy.output.OutputFormat;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Parameters;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

/** {@code pyspy completions SHELL}: the shell completion script, generated from the command model. */
@Command(name = "completions", mixinStandardHelpOptions = true,
        description = "Print the completion script for a shell (bash, zsh or fish).")
public final class CompletionsCommand implements Callable<Integer> {
    enum Shell { bash, zsh, fish }

    @Parameters(paramLabel = "SHELL", description = "bash, zsh or fish.")
    Shell shell;

    @Override
    public Integer call() {
        CommandLine pyspy = Main.commandModel();
        PrintStream out = System.out;
        switch (shell) {
            case bash -> out.print(bash(pyspy));
            case zsh -> out.print(zsh(pyspy));
            case fish -> out.print(fish(pyspy));
        }
        out.flush();
        return ExitCode.OK.code;
    }

    /** picocli's script; bash-completion loads it from its directory by the command's name. */
    static String bash(CommandLine pyspy) {
        return AutoComplete.bash("pyspy", pyspy);
    }

    /**
     * picocli's script runs under zsh through bashcompinit. As the {@code _pyspy} file of zsh's
     * completion directories it is the body of the function zsh calls on the first completion: it
     * defines the completion (which then takes over) and completes that first time too.
     */
    static String zsh(CommandLine pyspy) {
        return "#compdef pyspy\n" + bash(pyspy)
                + "\nif [ -n \"$ZSH_VERSION\" ] && [ \"${funcstack[1]}\" = _pyspy ]; then\n"
                + "  _bash_complete -o default -F _complete_pyspy\nfi\n";
    }

    /** fish's completions: the subcommands after {@code pyspy}, then each subcommand's options. */
    static String fish(CommandLine pyspy) {
        StringBuilder out = new StringBuilder("# fish completion for pyspy, generated from its command line\n");
        out.append("complete -c pyspy -f\n");
        for (Map.Entry<String, CommandLine> e : pyspy.getSubcommands().entrySet()) {
            out.append("complete -c pyspy -n __fish_use_subcommand -a ").append(e.getKey())
                    .append(" -d ").append(quote(firstLine(e.getValue().getCommandSpec()))).append('\n');
        }
        for (Map.Entry<String, CommandLine> e : pyspy.getSubcommands().entrySet()) {
            String when = " -n " + quote("__fish_seen_subcommand_from " + e.getKey());
            for (OptionSpec o : e.getValue().getCommandSpec().options()) {
                out.append("complete -c pyspy").append(when);
                for (String name : o.names()) {
                    out.append(name.startsWith("--") ? " -l " + name.substring(2) : " -s " + name.substring(1));
                }
                if (o.arity().max() > 0) {
                    // -x (a value, no files) unless the value is a file: fish offers files to -r options
                    out.append(o.paramLabel().equals("FILE") ? " -r -F" : " -x").append(argumentsOf(o));
                }
                out.append(" -d ").append(quote(o.description().length > 0 ? o.description()[0] : "")).append('\n');
            }
            if (e.getKey().equals("completions")) {
                out.append("complete -c pyspy").append(when).append(" -a ").append(quote("bash zsh fish")).append('\n');
            }
        }
        return out.toString();
    }

    /** What fish offers for an option's value: processes for a pid, the formats; files are offered by -F. */
    private static String argumentsOf(OptionSpec o) {
        if (o.paramLabel().equals("PID")) {
            return " -a " + quote("(__fish_complete_pids)");
        }
        if (o.paramLabel().equals("FORMAT")) {
            return " -a " + quote(Arrays.stream(OutputFormat.values()).map(OutputFormat::formatName).collect(Collectors.joining(" ")));
        }
        return "";
    }

    private static String firstLine(CommandSpec spec) {
        for (String line : spec.usageMessage().description()) {
            String text = line.replace("%n", " ").strip();
            if (!text.isEmpty()) {
                return text;
            }
        }
        return "";
    }

    private static String quote(String s) {
        return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'";
    }
}

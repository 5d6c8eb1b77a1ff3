package dev.pyspy.cli;

import ch.qos.logback.classic.Level;
import dev.pyspy.ExitCode;
import dev.pyspy.PyspyException;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;

/** {@code pyspy}: the command line. Each subcommand is a small class; the return value is the exit code. */
@Command(name = "pyspy", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Sampling profiler for running Python programs.",
        subcommands = {RecordCommand.class, TopCommand.class, DumpCommand.class, RenderCommand.class, DiffCommand.class, CommandLine.HelpCommand.class},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
                "0:success",
                "1:reading the target or writing output failed",
                "2:invalid command line",
                "3:no such process",
                "4:permission denied",
                "5:not a Python process",
                "6:unsupported Python version"})
public final class Main implements Runnable {
    private static boolean verbose;
    private static String commandLine = "pyspy";

    public static void main(String[] args) {
        System.exit(run(args));
    }

    public static int run(String... args) {
        commandLine = "pyspy " + String.join(" ", args);
        CommandLine cl = args.length > 0 ? subcommandAlone(args[0]) : null;
        if (cl != null) {
            args = java.util.Arrays.copyOfRange(args, 1, args.length);
        } else {
            cl = new CommandLine(new Main());
        }
        cl.setParameterExceptionHandler((ex, argv) -> {
            PrintWriter err = ex.getCommandLine().getErr();
            err.println("pyspy: " + ex.getMessage());
            return ExitCode.USAGE.code;
        });
        cl.setExecutionExceptionHandler((ex, cmd, parseResult) -> report(cmd.getErr(), ex));
        return cl.execute(args);
    }

    /**
     * The one subcommand the user asked for, built without the others: picocli builds every
     * command's model up front, and start-up time counts for a one-shot command like dump.
     */
    private static CommandLine subcommandAlone(String name) {
        for (Class<?> sub : Main.class.getAnnotation(Command.class).subcommands()) {
            Command c = sub.getAnnotation(Command.class);
            if (c != null && c.name().equals(name) && sub != CommandLine.HelpCommand.class) {
                return new CommandLine(sub).setCommandName("pyspy " + name);
            }
        }
        return null;
    }

    /** One line on stderr for any failure; the Java stack trace only with -v. */
    static int report(PrintWriter err, Throwable ex) {
        if (ex instanceof PyspyException p) {
            err.println("pyspy: " + p.getMessage());
            if (verbose) {
                ex.printStackTrace(err);
            }
            err.flush();
            return p.exitCode().code;
        }
        err.println("pyspy: internal error: " + ex + (verbose ? "" : " (run with -v for details)"));
        if (verbose) {
            ex.printStackTrace(err);
        }
        err.flush();
        return ExitCode.ERROR.code;
    }

    /** The command line pyspy was started with, for titles. */
    static String commandLine() {
        return commandLine;
    }

    static void setVerbose(boolean on) {
        verbose = on;
        ch.qos.logback.classic.Logger root =
                (ch.qos.logback.classic.Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.setLevel(on ? Level.DEBUG : Level.WARN);
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.err);
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[]{"pyspy " + (v == null ? "dev" : v)};
        }
    }
}

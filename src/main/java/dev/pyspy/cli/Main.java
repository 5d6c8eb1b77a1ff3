package dev.pyspy.cli;

import com.sun.jna.Platform;
import dev.pyspy.ExitCode;
import dev.pyspy.PyspyException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.concurrent.Callable;

/** {@code pyspy}: the command line. Each subcommand is a small class; the return value is the exit code. */
@Command(name = "pyspy", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Sampling profiler for running Python programs.",
        subcommands = {RecordCommand.class, TopCommand.class, DumpCommand.class, RenderCommand.class, DiffCommand.class,
                CompletionsCommand.class, CommandLine.HelpCommand.class},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
                "0:success (record, top: the profile was written, whatever ended it)",
                "1:reading the target or writing output failed",
                "2:invalid command line",
                "3:no such process",
                "4:permission denied",
                "5:not a Python process",
                "6:unsupported Python version",
                "129:SIGHUP ended pyspy (the output is still written)",
                "N:launch mode: the program's own non-zero exit code"})
public final class Main implements Callable<Integer> {
    private static boolean verbose;
    private static String commandLine = "pyspy";

    public static void main(String[] args) {
        prepareJna();
        Logging.configure();
        System.exit(run(args));
    }

    /** The whole program, for a program that embeds the command line with additions. */
    static void runAndExit(Instrumentation instrumentation, String[] args) {
        prepareJna();
        Logging.configure();
        System.exit(run(instrumentation, args));
    }

    /**
     * Spares JNA's start-up its two slowest steps (~15 ms of a one-shot dump), before anything
     * touches JNA: running {@code ldconfig -p} to list library directories (pyspy binds only libc,
     * which JNA takes from the process itself), and unpacking its native stub from the jar to a
     * temporary file on every run. The launcher names a directory ({@code pyspy.native.dir}, emptied
     * with each new jar) where the stub is unpacked once and loaded from afterwards.
     */
    private static void prepareJna() {
        if (System.getProperty("jna.platform.library.path") == null) {
            String arch = System.getProperty("os.arch").equals("amd64") ? "x86_64" : System.getProperty("os.arch");
            System.setProperty("jna.platform.library.path", "/usr/lib/" + arch + "-linux-gnu:/lib/" + arch
                    + "-linux-gnu:/usr/lib64:/lib64:/usr/lib:/lib");
        }
        String dir = System.getProperty("pyspy.native.dir");
        if (dir == null || System.getProperty("jna.boot.library.path") != null) {
            return;
        }
        Path stub = Path.of(dir, System.mapLibraryName("jnidispatch"));
        String resource = "com/sun/jna/" + Platform.RESOURCE_PREFIX + "/" + stub.getFileName();
        if (!Files.isRegularFile(stub) && !unpack(resource, stub)) {
            return; // JNA unpacks its own copy as usual
        }
        System.setProperty("jna.boot.library.path", dir);
    }

    /** Copies a class-path resource to a file, whole or not at all (concurrent runs each rename a complete copy). */
    private static boolean unpack(String resource, Path file) {
        Path tmp = null;
        try (InputStream in = Main.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                return false;
            }
            Files.createDirectories(file.getParent());
            tmp = Files.createTempFile(file.getParent(), file.getFileName().toString(), ".tmp");
            Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
            return true;
        } catch (IOException | RuntimeException e) {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // a stray temporary file in pyspy's own directory
                }
            }
            return false;
        }
    }

    public static int run(String... args) {
        int plain = runPlain(args);
        // Instrumentation.NONE only here: its lambdas and the classes it names are start-up a plain dump need not pay
        return plain != NOT_PLAIN ? plain : runWithPicocli(new CommandFactory(Instrumentation.NONE), args);
    }

    static int run(Instrumentation instrumentation, String... args) {
        int plain = runPlain(args);
        return plain != NOT_PLAIN ? plain : runWithPicocli(new CommandFactory(instrumentation), args);
    }

    private static final int NOT_PLAIN = -1;

    /**
     * The one-shot command lines run without building picocli's model (which costs more than the
     * command itself): a plain {@code dump} ({@link DumpCommand#parsePlain}) and {@code --version}
     * alone, which prints what picocli's version option prints. {@link #NOT_PLAIN} for the rest.
     */
    private static int runPlain(String[] args) {
        commandLine = "pyspy " + String.join(" ", args);
        if (args.length == 1 && (args[0].equals("--version") || args[0].equals("-V"))) {
            System.out.println("pyspy " + version());
            System.out.flush();
            return ExitCode.OK.code;
        }
        if (args.length > 0 && args[0].equals("dump")) {
            DumpCommand dump = DumpCommand.parsePlain(Arrays.copyOfRange(args, 1, args.length));
            if (dump != null) {
                return runAlone(dump);
            }
        }
        return NOT_PLAIN;
    }

    /** Runs a command parsed without picocli, reporting failures as picocli's handler below would. */
    private static int runAlone(Callable<Integer> command) {
        try {
            return command.call();
        } catch (Exception ex) {
            return report(new PrintWriter(System.err, true), ex);
        }
    }

    private static int runWithPicocli(CommandLine.IFactory factory, String[] args) {
        CommandLine cl = args.length > 0 ? subcommandAlone(args[0], factory) : null;
        if (cl != null) {
            args = Arrays.copyOfRange(args, 1, args.length);
        } else {
            cl = new CommandLine(new Main(), factory);
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
    private static CommandLine subcommandAlone(String name, CommandLine.IFactory factory) {
        for (Class<?> sub : Main.class.getAnnotation(Command.class).subcommands()) {
            Command c = sub.getAnnotation(Command.class);
            if (c != null && c.name().equals(name) && sub != CommandLine.HelpCommand.class) {
                return new CommandLine(sub, factory).setCommandName("pyspy " + name);
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
        Logging.setVerbose(on);
    }

    /** {@code pyspy} alone: the usage on stderr, and the exit code of an invalid command line (as py-spy). */
    @Override
    public Integer call() {
        commandModel().usage(System.err);
        return ExitCode.USAGE.code;
    }

    /** The whole command tree as pyspy itself runs it, for what describes it: usage, completions, man pages. */
    static CommandLine commandModel() {
        return new CommandLine(new Main(), new CommandFactory(Instrumentation.NONE));
    }

    /** The version Maven built (a filtered resource, so it holds in the jar and in the tests' class directory alike). */
    static String version() {
        try (InputStream in = Main.class.getResourceAsStream("version.txt")) {
            if (in == null) {
                throw new IllegalStateException("version.txt is missing from the build");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            throw new IllegalStateException("cannot read version.txt", e);
        }
    }

    /** Builds the sampling commands with the run's {@link Instrumentation}; everything else as picocli does. */
    private record CommandFactory(Instrumentation instrumentation) implements CommandLine.IFactory {
        @Override
        public <K> K create(Class<K> cls) throws Exception {
            if (cls == RecordCommand.class) {
                return cls.cast(new RecordCommand(instrumentation));
            }
            if (cls == TopCommand.class) {
                return cls.cast(new TopCommand(instrumentation));
            }
            return CommandLine.defaultFactory().create(cls);
        }
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[]{"pyspy " + version()};
        }
    }
}

package dev.pyspy.cli;

import dev.pyspy.ExitCode;
import dev.pyspy.PyspyException;
import dev.pyspy.model.AsyncTask;
import dev.pyspy.model.ThreadStack;
import dev.pyspy.process.ProcFs;
import dev.pyspy.python.PythonProcess;
import dev.pyspy.python.ThreadStackReader;
import dev.pyspy.sampler.DumpSession;
import dev.pyspy.sampler.ProcessTree;
import dev.pyspy.util.Log;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.BufferedOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code pyspy dump}: print what every thread of a running Python process is doing right now. */
@Command(name = "dump", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Dump the current stack of every thread of a running Python program.")
public final class DumpCommand implements Callable<Integer> {
    private static final Log log = Log.of(DumpCommand.class);
    static final int SHORT_REPR = 128;
    static final int LONG_REPR = 4096;

    @Option(names = {"-p", "--pid"}, required = true, paramLabel = "PID", converter = PidConverter.class,
            description = "Process id of the Python program (decimal, or hexadecimal as 0x...).")
    int pid;

    @Option(names = {"--full-filenames"}, description = "Show full paths instead of paths from the top-level package.")
    boolean fullFilenames;

    @Option(names = {"-l", "--locals"}, description = "Show arguments and local variables of each frame; -ll shows longer values.")
    boolean[] locals = new boolean[0];

    @Option(names = {"-j", "--json"}, description = "Print the stacks as JSON (py-spy's schema).")
    boolean json;

    @Option(names = {"--nonblocking"}, description = "Do not pause the process while reading (faster, stacks may be torn).")
    boolean nonblocking;

    @Option(names = {"-n", "--native"},
            description = "Show native (C/C++) frames too, with the Python frames in the interpreter's place. Pauses the process.")
    boolean nativeFrames;

    @Option(names = {"-s", "--subprocesses"},
            description = "Also dump every Python process descending from PID, which may itself be any program.")
    boolean subprocesses;

    @Option(names = {"--async-aware"},
            description = "List every pending asyncio task instead of the threads: its coroutine chain, "
                    + "what it waits on and which tasks await it (CPython 3.8+).")
    boolean asyncAware;

    /** Set here too: a plain command line is parsed without picocli ({@link #parsePlain}). */
    @Mixin
    OpcodesOption opcodes = new OpcodesOption();

    @Mixin
    CommonOptions common;

    /**
     * A plain dump command line (each option spelled out once, {@code -ll}, the pid in decimal
     * digits) parsed without picocli, whose model costs a one-shot dump ~0.1 s of start-up; null for
     * anything else (help, errors, other spellings), which then goes to picocli, so every message and
     * edge case stays picocli's.
     */
    static DumpCommand parsePlain(String[] args) {
        DumpCommand d = new DumpCommand();
        boolean pidSeen = false;
        boolean verbose = false;
        int localsCount = 0;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "-p", "--pid" -> {
                    if (pidSeen || i + 1 >= args.length || !isDecimal(args[i + 1])) {
                        return null;
                    }
                    d.pid = Integer.parseInt(args[++i]);
                    pidSeen = true;
                }
                case "--full-filenames" -> {
                    if (d.fullFilenames) {
                        return null;
                    }
                    d.fullFilenames = true;
                }
                case "-l", "--locals" -> localsCount++;
                case "-ll" -> localsCount += 2;
                case "-j", "--json" -> {
                    if (d.json) {
                        return null;
                    }
                    d.json = true;
                }
                case "--nonblocking" -> {
                    if (d.nonblocking) {
                        return null;
                    }
                    d.nonblocking = true;
                }
                case "-v", "--verbose" -> {
                    if (verbose) {
                        return null;
                    }
                    verbose = true;
                }
                default -> {
                    return null;
                }
            }
        }
        if (!pidSeen) {
            return null;
        }
        d.locals = new boolean[localsCount];
        Arrays.fill(d.locals, true);
        if (verbose) {
            Main.setVerbose(true);
        }
        return d;
    }

    /** 1 to 9 ASCII digits: what picocli's Integer.valueOf reads the same way and cannot overflow. */
    private static boolean isDecimal(String s) {
        if (s.isEmpty() || s.length() > 9) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '9') {
                return false;
            }
        }
        return true;
    }

    @Override
    public Integer call() throws PyspyException {
        if (pid <= 0) {
            throw RecordCommand.usage("invalid pid " + pid);
        }
        if (nativeFrames && nonblocking) {
            throw RecordCommand.usage("--native needs the threads stopped: it cannot be combined with --nonblocking");
        }
        opcodes.validate(nativeFrames);
        ThreadStackReader.Options options = new ThreadStackReader.Options(locals.length > 0,
                locals.length > 1 ? LONG_REPR : SHORT_REPR, fullFilenames, opcodes.opcodes);
        // one large write instead of one per line: System.out flushes on every write it gets
        PrintStream out = new PrintStream(new BufferedOutputStream(System.out, 1 << 16), false, StandardCharsets.UTF_8);
        if (asyncAware) {
            if (subprocesses || locals.length > 0 || opcodes.opcodes) {
                throw RecordCommand.usage("--async-aware cannot be combined with "
                        + (subprocesses ? "--subprocesses" : locals.length > 0 ? "--locals" : "--opcodes"));
            }
            PythonProcess process = PythonProcess.attach(pid);
            List<AsyncTask> tasks = DumpSession.readTasks(process, fullFilenames, !nonblocking);
            if (json) {
                AsyncTaskPrinter.printJson(out, tasks);
            } else {
                AsyncTaskPrinter.printText(out, process, tasks);
            }
        } else if (subprocesses) {
            dumpTree(out, options);
        } else {
            PythonProcess process = PythonProcess.attach(pid);
            List<ThreadStack> stacks = readStacks(process, options);
            if (json) {
                DumpPrinter.printJson(out, stacks);
            } else {
                DumpPrinter.printText(out, process, null, stacks);
            }
        }
        out.flush();
        return ExitCode.OK.code;
    }

    private List<ThreadStack> readStacks(PythonProcess process, ThreadStackReader.Options options)
            throws PyspyException {
        return nativeFrames ? DumpSession.readNative(process, options) : DumpSession.read(process, options, !nonblocking);
    }

    /**
     * Each Python process of the tree once, parents before children, as py-spy prints them (text: a
     * block per process, children naming their parent; JSON: one array of every thread, each with
     * its pid). Processes that are not Python, or exit meanwhile, are left out.
     */
    private void dumpTree(PrintStream out, ThreadStackReader.Options options) throws PyspyException {
        ProcFs.requireExists(pid);
        ProcessTree tree = new ProcessTree(pid);
        List<Integer> members = tree.members();
        List<ThreadStack> all = new ArrayList<>();
        int dumped = 0;
        for (int member : members) {
            PythonProcess process;
            List<ThreadStack> stacks;
            try {
                process = PythonProcess.attach(member);
                stacks = readStacks(process, options);
            } catch (PyspyException e) {
                log.debug("not dumping process {}: {}", member, e.getMessage());
                continue;
            }
            if (json) {
                all.addAll(stacks);
            } else {
                if (dumped > 0) {
                    out.println();
                }
                DumpPrinter.printText(out, process, member == pid ? null : parentLine(tree.parent(member)), stacks);
            }
            dumped++;
        }
        if (dumped == 0) {
            throw tree.noPython(members.size() - 1);
        }
        if (json) {
            DumpPrinter.printJson(out, all);
        }
    }

    /** py-spy's {@code PID: cmdline} of a child's parent. */
    private static String parentLine(int parent) {
        try {
            return parent + ": " + ProcFs.commandLine(parent);
        } catch (PyspyException e) {
            return Integer.toString(parent);
        }
    }
}

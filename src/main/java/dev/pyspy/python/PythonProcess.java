package dev.pyspy.python;

import dev.pyspy.ExitCode;
import dev.pyspy.PyspyException;
import dev.pyspy.process.ProcessMemory;
import dev.pyspy.process.MemoryMapping;
import dev.pyspy.process.ProcFs;
import dev.pyspy.process.ProcMaps;
import dev.pyspy.process.RemoteMemory;
import dev.pyspy.util.Log;

import java.nio.file.Path;
import java.util.List;

/**
 * A Python process pyspy has attached to (read-only): where its interpreter is, which version and
 * layout it has, and the readers built on them. Attaching never stops or changes the process.
 */
public final class PythonProcess {
    private static final Log log = Log.of(PythonProcess.class);

    private final int pid;
    private final RemoteMemory memory;
    private final PythonBinary binary;
    private final PythonVersion version;
    private final Layout layout;
    private final InterpreterLocator.Found found;
    private final long interpreter;
    private final PyObjects objects;
    private final CodeCache codes;
    private final StackWalker walker;
    private final ThreadNames threadNames;
    private final NativeThreadIds nativeThreadIds;
    private final GilReader gil;
    private final String executable;
    private final List<String> cmdline;

    private PythonProcess(int pid, RemoteMemory memory, PythonBinary binary, PythonVersion version, Layout layout,
                          InterpreterLocator.Found found, String executable, List<String> cmdline) throws PyspyException {
        this.pid = pid;
        this.memory = memory;
        this.binary = binary;
        this.version = version;
        this.layout = layout;
        this.interpreter = found.interpreter();
        this.found = found;
        this.executable = executable;
        this.cmdline = cmdline;
        this.objects = new PyObjects(memory, layout, version);
        this.codes = new CodeCache(memory, layout, objects, new ShortFilenames(ProcFs.rootPath(pid, "/"),
                ProcFs.procPath(pid, "cwd")),
                binary.symbolAddress("PyCode_Type"));
        this.gil = GilReader.create(memory, layout, version, binary, found.runtime(), interpreter);
        this.walker = new StackWalker(memory, layout, interpreter, codes, gil);
        this.threadNames = new ThreadNames(memory, objects, layout, interpreter);
        this.nativeThreadIds = new NativeThreadIds(memory);
    }

    /** Finds the interpreter inside process {@code pid}; fails with a user-facing message and exit code. */
    public static PythonProcess attach(int pid) throws PyspyException {
        Image image = inspect(pid);
        if (!image.findInterpreter(image.maps)) {
            if (isGone(pid)) {
                throw new PyspyException(ExitCode.NO_SUCH_PROCESS, "process " + pid + " exited while pyspy was attaching");
            }
            throw new PyspyException(ExitCode.NOT_PYTHON, "process " + pid + " runs Python " + image.version
                    + " but no interpreter state was found (is it still starting up or already finalizing?)");
        }
        return image.open();
    }

    /**
     * The first half of attaching: what the interpreter's file tells (binary, version, layout). It
     * holds from the moment the file is mapped, before the interpreter has started, so a launched
     * program can be inspected while it is held at its start and then watched cheaply
     * ({@link Image#findInterpreter}) until its interpreter exists.
     */
    public static Image inspect(int pid) throws PyspyException {
        ProcFs.requireExists(pid);
        if (ProcFs.isZombie(pid)) {
            throw new PyspyException(ExitCode.NO_SUCH_PROCESS, "process " + pid + " is a zombie: it has exited and waits to be reaped");
        }
        List<MemoryMapping> maps = ProcMaps.read(pid);
        String exe = ProcFs.exePath(pid);
        PythonBinary binary = PythonBinary.find(pid, maps, exe);
        RemoteMemory memory = RemoteMemory.open(pid);
        long runtimeSymbol = binary.symbolAddress("_PyRuntime");
        PythonVersion version = VersionDetector.detect(memory, binary, runtimeSymbol);
        if (version == null) {
            throw new PyspyException(ExitCode.NOT_PYTHON, "process " + pid + " (" + exe
                    + ") does not look like Python: no interpreter version found in " + binary.pathInTarget());
        }
        LayoutData data = LayoutData.BUNDLED;
        boolean hasDebugOffsets = DebugOffsets.hasCookie(memory, runtimeSymbol);
        if (hasDebugOffsets) {
            Layout struct = data.debugOffsetsMap(version);
            boolean ft = struct != null && DebugOffsets.freeThreaded(memory, runtimeSymbol, struct);
            version = version.withFreeThreaded(ft || binary.nameSaysFreeThreaded());
        } else {
            version = version.withFreeThreaded(binary.nameSaysFreeThreaded());
        }
        Layout layout = layoutFor(data, version, memory, runtimeSymbol, hasDebugOffsets);
        log.debug("pid {}: Python {} in {} (bias 0x{}), layout: {}", pid, version, binary.pathInTarget(),
                Long.toHexString(binary.loadBias()), layout);
        return new Image(pid, maps, exe, binary, memory, version, layout, runtimeSymbol);
    }

    /**
     * Process {@code childPid} as a fork of this one that did not exec (multiprocessing's fork
     * workers, {@code os.fork()}): its interpreter sits where this one's does, so attaching skips
     * reading the binary, which a short-lived child may not outlive. Null when the child's maps show
     * another program, or this one elsewhere (it exec'd).
     */
    public PythonProcess forkedChild(int childPid) throws PyspyException {
        List<MemoryMapping> maps = ProcMaps.read(childPid);
        if (!ProcMaps.ofFile(maps, binary.pathInTarget()).equals(binary.mappings())) {
            return null;
        }
        return new PythonProcess(childPid, RemoteMemory.open(childPid, maps), binary, version, layout, found, executable,
                ProcFs.cmdline(childPid));
    }

    /** A process's interpreter as its file describes it (see {@link #inspect}). */
    public static final class Image {
        private final int pid;
        private final List<MemoryMapping> maps;
        private final String exe;
        private final PythonBinary binary;
        private final RemoteMemory memory;
        private final PythonVersion version;
        private final Layout layout;
        private final long runtimeSymbol;
        private InterpreterLocator.Found found;
        /** {@code interp_head}'s address (2.7, 3.6), 0 when absent; -1 until looked up. */
        private long interpHead = -1;

        private Image(int pid, List<MemoryMapping> maps, String exe, PythonBinary binary, RemoteMemory memory,
                      PythonVersion version, Layout layout, long runtimeSymbol) {
            this.pid = pid;
            this.maps = maps;
            this.exe = exe;
            this.binary = binary;
            this.memory = memory;
            this.version = version;
            this.layout = layout;
            this.runtimeSymbol = runtimeSymbol;
        }

        public PythonVersion version() {
            return version;
        }

        /** Whether the process still runs this image: same executable, same interpreter file mapped. */
        public boolean describes(List<MemoryMapping> currentMaps, String currentExe) {
            return exe.equals(currentExe) && binary.pathInTarget().equals(PythonBinary.choose(currentMaps, currentExe));
        }

        /** Whether the interpreter is initialised (its first thread state points back to it): then {@link #open}. */
        public boolean findInterpreter(List<MemoryMapping> currentMaps) throws PyspyException {
            return findInterpreter(currentMaps, true);
        }

        /**
         * {@link #findInterpreter}, or when not {@code scan} only a look where the binary's symbols
         * say (a few reads; false without them): for watching a program at every system call, where
         * a scan of the binary's data each time would cost more than the program's start-up.
         */
        public boolean findInterpreter(List<MemoryMapping> currentMaps, boolean scan) throws PyspyException {
            InterpreterLocator locator = new InterpreterLocator(memory, currentMaps, layout);
            found = scan ? locator.locate(binary, runtimeSymbol) : locator.locateBySymbols(runtimeSymbol, interpHead());
            return found != null;
        }

        /** Whether the binary says where its interpreter is ({@code _PyRuntime}, {@code interp_head}): no scan needed. */
        public boolean hasInterpreterSymbols() {
            return runtimeSymbol != 0 && layout.has("_PyRuntimeState.interpreters_head") || interpHead() != 0;
        }

        private long interpHead() {
            if (interpHead < 0) {
                interpHead = binary.symbolAddress("interp_head"); // a look-up in the symbol table: once
            }
            return interpHead;
        }

        /** The attached process, once {@link #findInterpreter} found its interpreter. */
        public PythonProcess open() throws PyspyException {
            if (found == null) {
                throw new IllegalStateException("no interpreter found in process " + pid);
            }
            return new PythonProcess(pid, memory, binary, version, layout, found, exe, ProcFs.cmdline(pid));
        }
    }

    /**
     * The layout of {@code version}: its table, or (when the target carries {@code _Py_DebugOffsets})
     * the target's own offsets over its table or the newest older one of the same build.
     */
    static Layout layoutFor(LayoutData data, PythonVersion version, ProcessMemory memory, long runtime, boolean debugOffsets)
            throws PyspyException {
        Layout table = data.table(version);
        if (debugOffsets) {
            Layout base = table != null ? table : data.newestOlderTable(version);
            Layout merged = DebugOffsets.read(data, memory, runtime, version, base);
            requireWalkerKeys(version, merged, table, base);
            return merged;
        }
        if (table == null) {
            throw new PyspyException(ExitCode.UNSUPPORTED_VERSION, "Python " + version
                    + " is not supported (pyspy reads CPython " + data.describe() + ")");
        }
        return table;
    }

    /** What walking stacks and reading names needs from the layout of a 3.13+ interpreter. */
    static final List<String> WALKER_KEYS = List.of(
            "_PyRuntimeState.interpreters_head", "PyInterpreterState.next", "PyInterpreterState.tstate_head",
            "PyInterpreterState.modules", "PyThreadState.next", "PyThreadState.interp", "PyThreadState.thread_id",
            "PyThreadState.current_frame", "_PyInterpreterFrame.previous", "_PyInterpreterFrame.executable",
            "_PyInterpreterFrame.instr", "_PyInterpreterFrame.owner", "_PyInterpreterFrame.localsplus",
            "PyCodeObject.co_filename", "PyCodeObject.co_qualname", "PyCodeObject.co_firstlineno",
            "PyCodeObject.co_linetable", "PyCodeObject.co_code_adaptive", "PyObject.ob_type", "PyVarObject.ob_size",
            "PyTypeObject.tp_name", "PyTypeObject.tp_flags", "PyASCIIObject.length", "PyASCIIObject.state",
            "sizeof.PyASCIIObject", "sizeof.PyCompactUnicodeObject", "PyUnicodeObject.data",
            "PyModuleObject.md_dict", "PyDictObject.ma_keys", "PyDictObject.ma_values");

    /**
     * A version read through its debug offsets must have everything the walker needs, from them or
     * from a table; otherwise fail once, naming every missing field and where pyspy looked.
     */
    static void requireWalkerKeys(PythonVersion version, Layout layout, Layout table, Layout base)
            throws PyspyException {
        List<String> missing = WALKER_KEYS.stream().filter(k -> !layout.has(k)).toList();
        if (missing.isEmpty()) {
            return;
        }
        String where = table != null ? "nor does the " + table
                : base != null ? "nor does the " + base + ", the nearest older one"
                : "and pyspy has no layout table for " + version.majorMinor() + (version.freeThreaded() ? "t" : "");
        throw new PyspyException(ExitCode.UNSUPPORTED_VERSION, "Python " + version + " is not supported: "
                + "its _Py_DebugOffsets do not describe " + String.join(", ", missing) + " (" + where + ")");
    }

    /** Address of {@code _PyRuntime} (3.7+), 0 when unknown or before 3.7. */
    public long runtime() {
        return found.runtime();
    }

    public int pid() {
        return pid;
    }

    public RemoteMemory memory() {
        return memory;
    }

    public PythonVersion version() {
        return version;
    }

    public Layout layout() {
        return layout;
    }

    public PythonBinary binary() {
        return binary;
    }

    public PyObjects objects() {
        return objects;
    }

    public CodeCache codes() {
        return codes;
    }

    public StackWalker walker() {
        return walker;
    }

    public ThreadNames threadNames() {
        return threadNames;
    }

    public NativeThreadIds nativeThreadIds() {
        return nativeThreadIds;
    }

    public GilReader gil() {
        return gil;
    }

    /** The executable's path as the target sees it. */
    public String executable() {
        return executable;
    }

    public List<String> cmdline() {
        return cmdline;
    }

    /** The first interpreter state's address. */
    public long interpreter() {
        return interpreter;
    }

    public Path root() {
        return ProcFs.rootPath(pid, "/");
    }

    /** True when the process no longer exists or is a zombie. */
    public static boolean isGone(int pid) {
        try {
            return !ProcFs.exists(pid) || ProcFs.isZombie(pid);
        } catch (PyspyException e) {
            return true;
        }
    }
}

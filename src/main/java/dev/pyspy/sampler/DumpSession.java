package dev.pyspy.sampler;

import dev.pyspy.ExitCode;
import dev.pyspy.PyspyException;
import dev.pyspy.model.AsyncTask;
import dev.pyspy.model.Frame;
import dev.pyspy.model.ThreadStack;
import dev.pyspy.process.MemoryReadException;
import dev.pyspy.process.ProcFs;
import dev.pyspy.process.ThreadPauser;
import dev.pyspy.python.AsyncioTasks;
import dev.pyspy.python.NativeFrameMerger;
import dev.pyspy.python.PythonProcess;
import dev.pyspy.python.RawStacks;
import dev.pyspy.python.RawThreadStack;
import dev.pyspy.python.ThreadStackReader;
import dev.pyspy.python.opcodes.InstructionFrames;
import dev.pyspy.unwind.NativeStacks;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One {@code dump}: every thread's stack read once, with the process paused for the read and
 * resumed after it, or (nonblocking) read while it runs, retried when torn.
 */
public final class DumpSession {
    /** A stack can be torn when read without pausing; such reads are retried this often. */
    private static final int NONBLOCKING_ATTEMPTS = 5;

    private DumpSession() {
    }

    /** The stacks of every thread of {@code process}, in the interpreter's thread order. */
    public static List<ThreadStack> read(PythonProcess process, ThreadStackReader.Options options, boolean blocking)
            throws PyspyException {
        return blocking ? readPaused(process, options, false) : readWithRetries(process, options);
    }

    /**
     * As {@link #read}, paused, each thread's stack its native frames with its Python frames spliced
     * in ({@code --native}; {@link NativeFrameMerger}).
     */
    public static List<ThreadStack> readNative(PythonProcess process, ThreadStackReader.Options options)
            throws PyspyException {
        return readPaused(process, options, true);
    }

    private static List<ThreadStack> readPaused(PythonProcess process, ThreadStackReader.Options options,
                                                 boolean nativeFrames) throws PyspyException {
        InstructionFrames instructions = instructionFrames(process, options);
        Map<Long, Character> states = kernelStates(process.pid());
        NativeStacks natives = nativeFrames ? new NativeStacks(process.pid(), process.memory()) : null;
        try (ThreadPauser paused = ThreadPauser.pauseAll(process.pid())) {
            RawStacks snapshot = new RawStacks();
            List<ThreadStack> stacks = read(process, states, options, snapshot, instructions);
            return natives == null ? stacks
                    : withNativeFrames(stacks, snapshot, new NativeFrameMerger(process, natives));
        } catch (MemoryReadException e) {
            throw gone(process.pid(), e);
        }
    }

    private static List<ThreadStack> readWithRetries(PythonProcess process, ThreadStackReader.Options options)
            throws PyspyException {
        InstructionFrames instructions = instructionFrames(process, options);
        MemoryReadException last = null;
        for (int attempt = 0; attempt < NONBLOCKING_ATTEMPTS; attempt++) {
            try {
                return read(process, kernelStates(process.pid()), options, new RawStacks(), instructions);
            } catch (MemoryReadException e) {
                last = e;
            }
        }
        throw gone(process.pid(), last);
    }

    /** {@code instructions}: relabels the walk's frames by instruction ({@code --opcodes}), or null. */
    private static List<ThreadStack> read(PythonProcess process, Map<Long, Character> states,
                                          ThreadStackReader.Options options, RawStacks snapshot,
                                          InstructionFrames instructions) throws MemoryReadException {
        process.walker().walk(snapshot);
        if (instructions != null) {
            instructions.label(snapshot); // while paused: 3.11+ rewrites its bytecode as it runs
        }
        Map<Long, String> names = process.threadNames().refresh();
        return ThreadStackReader.build(process, snapshot, states, names, options);
    }

    /**
     * {@code dump --async-aware}: every pending asyncio task of {@code process}, read with the process
     * paused (or, nonblocking, while it runs, retried when torn). Fails before pausing when the
     * version has no asyncio layout.
     */
    public static List<AsyncTask> readTasks(PythonProcess process, boolean fullFilenames, boolean blocking)
            throws PyspyException {
        AsyncioTasks reader = AsyncioTasks.of(process);
        if (blocking) {
            try (ThreadPauser paused = ThreadPauser.pauseAll(process.pid())) {
                return readTasks(process, reader, fullFilenames);
            } catch (MemoryReadException e) {
                throw gone(process.pid(), e);
            }
        }
        MemoryReadException last = null;
        for (int attempt = 0; attempt < NONBLOCKING_ATTEMPTS; attempt++) {
            try {
                return readTasks(process, reader, fullFilenames);
            } catch (MemoryReadException e) {
                last = e;
            }
        }
        throw gone(process.pid(), last);
    }

    private static List<AsyncTask> readTasks(PythonProcess process, AsyncioTasks reader, boolean fullFilenames)
            throws MemoryReadException {
        RawStacks snapshot = new RawStacks();
        process.walker().walk(snapshot);
        return reader.read(snapshot, fullFilenames);
    }

    /** The labeller of {@code --opcodes}, or null; fails (exit 6) before anything is paused when the version has no opcode table. */
    private static InstructionFrames instructionFrames(PythonProcess process, ThreadStackReader.Options options)
            throws PyspyException {
        return options.opcodes() ? InstructionFrames.of(process.version().majorMinor(), process.memory(),
                process.layout(), process.objects(), process.codes()) : null;
    }

    /** {@code stacks} were built from {@code snapshot}, thread for thread. */
    private static List<ThreadStack> withNativeFrames(List<ThreadStack> stacks, RawStacks snapshot,
                                                      NativeFrameMerger merger) {
        List<ThreadStack> out = new ArrayList<>(stacks.size());
        for (int i = 0; i < stacks.size(); i++) {
            ThreadStack t = stacks.get(i);
            RawThreadStack raw = i < snapshot.threadCount() ? snapshot.thread(i) : null;
            List<Frame> frames = t.osThreadId() > 0 ? merger.merge((int) t.osThreadId(), t.frames(), raw) : t.frames();
            out.add(new ThreadStack(t.pid(), t.threadId(), t.osThreadId(), t.threadName(), t.active(), t.ownsGil(),
                    frames));
        }
        return out;
    }

    private static Map<Long, Character> kernelStates(int pid) throws PyspyException {
        Map<Long, Character> states = new HashMap<>();
        ProcFs.threadStates(pid).forEach((tid, state) -> states.put((long) tid, state));
        return states;
    }

    private static PyspyException gone(int pid, MemoryReadException e) {
        if (PythonProcess.isGone(pid)) {
            return new PyspyException(ExitCode.NO_SUCH_PROCESS, "process " + pid + " exited while its stacks were read");
        }
        return new PyspyException(ExitCode.ERROR, "failed to read the stacks of process " + pid + ": " + e.getMessage(), e);
    }
}

package dev.pyspy.python;

import dev.pyspy.model.Frame;
import dev.pyspy.model.LocalVariable;
import dev.pyspy.model.ThreadStack;
import dev.pyspy.process.MemoryReadException;
import dev.pyspy.python.opcodes.OpcodeTable;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Turns a raw {@link RawStacks} into the user-facing {@link ThreadStack} model (dump, JSON). */
public final class ThreadStackReader {

    /**
     * What to show: locals (and how long a repr may be), whole paths or short ones, each frame's
     * instruction ({@code --opcodes}: the walk's frames relabelled by {@code opcodes.InstructionFrames}).
     */
    public record Options(boolean locals, int maxReprLength, boolean fullFilenames, boolean opcodes) {
        public Options(boolean locals, int maxReprLength, boolean fullFilenames) {
            this(locals, maxReprLength, fullFilenames, false);
        }
    }

    private ThreadStackReader() {
    }

    /**
     * @param kernelStates tid → state char read before the process was paused
     * @param names        thread ident → threading name
     */
    public static List<ThreadStack> build(PythonProcess process, RawStacks snapshot,
                                          Map<Long, Character> kernelStates, Map<Long, String> names,
                                          Options options) throws MemoryReadException {
        int n = snapshot.threadCount();
        long[] tids = nativeIds(process, snapshot, kernelStates.keySet());
        FrameLocals locals = options.locals() ? newFrameLocals(process) : null;
        boolean shims = hasShimFrames(process.layout());
        List<ThreadStack> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            RawThreadStack t = snapshot.thread(i);
            Character state = tids[i] == 0 ? null : kernelStates.get(tids[i]);
            boolean active = ThreadActivity.isActive(state == null ? 0 : state, t);
            List<Frame> frames = new ArrayList<>(t.depth);
            for (int f = 0; f < t.depth; f++) {
                CodeInfo code = t.codes[f];
                List<LocalVariable> vars = locals == null || code.filename() == null ? List.of() // a cut's marker
                        : locals.read(t.frameAddresses[f], code.address(), options.maxReprLength());
                String shown = options.fullFilenames() ? code.filename() : code.shortFilename();
                boolean shimEntry = f == t.depth - 1 || (shims && t.entries[f]);
                String instruction = code.instruction();
                frames.add(new Frame(code.name(), code.filename(), shown, null, t.lines[f], vars, t.entries[f],
                        shimEntry, code.column(), instruction == null ? null : OpcodeTable.opcodeOf(instruction),
                        instruction == null ? null : OpcodeTable.familyOf(instruction)));
            }
            out.add(new ThreadStack(process.pid(), t.threadId, tids[i], names.get(t.threadId), active,
                    t.ownsGil, frames));
        }
        return out;
    }

    /** 3.12+ push shim frames before each call from C: the walker marks the frame above one as an entry. */
    private static boolean hasShimFrames(Layout layout) {
        return layout.value("const.FRAME_OWNED_BY_CSTACK", -1) >= 0
                || layout.value("const.FRAME_OWNED_BY_INTERPRETER", -1) >= 0;
    }

    private static FrameLocals newFrameLocals(PythonProcess process) throws MemoryReadException {
        try {
            return new FrameLocals(process.memory(), process.layout(), process.objects());
        } catch (dev.pyspy.PyspyException e) {
            throw new MemoryReadException("cannot read locals: " + e.getMessage());
        }
    }

    /**
     * Kernel tids as pyspy sees them (in {@code /proc}): recorded by the interpreter (3.11+) or
     * mapped from pthread ids. A target in its own PID namespace records the tids it sees there:
     * those are mapped to ours through {@code NSpid}.
     */
    public static long[] nativeIds(PythonProcess process, RawStacks snapshot, Set<Long> tids) {
        Map<Long, Long> hostTids = dev.pyspy.process.PidNamespace.hostTids(process.pid());
        long[] ids = targetIds(process, snapshot, hostTids == null ? tids : hostTids.keySet());
        if (hostTids != null) {
            for (int i = 0; i < ids.length; i++) {
                ids[i] = hostTids.getOrDefault(ids[i], 0L);
            }
        }
        return ids;
    }

    /** Tids as the target sees them; {@code tids} are its threads' tids in its namespace. */
    private static long[] targetIds(PythonProcess process, RawStacks snapshot, Set<Long> tids) {
        int n = snapshot.threadCount();
        long[] out = new long[n];
        long[] pthreads = new long[n];
        boolean missing = false;
        for (int i = 0; i < n; i++) {
            RawThreadStack t = snapshot.thread(i);
            out[i] = t.nativeThreadId;
            pthreads[i] = t.threadId;
            missing |= out[i] == 0;
        }
        if (missing) {
            long[] mapped = process.nativeThreadIds().resolve(pthreads, n, tids);
            for (int i = 0; i < n; i++) {
                if (out[i] == 0) {
                    out[i] = mapped[i];
                }
            }
        }
        return out;
    }
}

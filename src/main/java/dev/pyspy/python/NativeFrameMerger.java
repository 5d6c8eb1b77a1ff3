package dev.pyspy.python;

import dev.pyspy.PyspyException;
import dev.pyspy.model.Frame;
import dev.pyspy.unwind.NativeStacks;
import dev.pyspy.unwind.NativeSymbol;
import dev.pyspy.unwind.NativeUnwinder;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Splices a thread's Python frames into its native stack ({@code --native}): each interpreter
 * evaluation frame ({@code _PyEval_EvalFrameDefault}; 2.7's {@code PyEval_EvalFrameEx}) is replaced
 * by the Python frames it was running — the frames from the next one up to and including the next
 * entry frame (3.11+ runs several Python frames in one C call, until the frame entered from C;
 * before 3.11 every frame is an entry, so one per call). Other frames of the interpreter's own
 * files (libpython, the python executable: the call machinery) and libc's process and thread start
 * are left out; every other native frame stays, named {@code symbol (library.so)}. Python frames
 * left over when the native stack ends (an unwind that stopped early) go at the outer end, so none
 * is ever lost. Used from the tracer thread, with the thread stopped.
 */
public final class NativeFrameMerger {

    /** Symbols of the interpreter loop; the first one a file defines is its loop. */
    private static final List<String> EVAL_FUNCTIONS = List.of("_PyEval_EvalFrameDefault", "PyEval_EvalFrameEx");
    /** libc's start of the process and of threads: below every stack, never of interest. */
    private static final Set<String> START_FUNCTIONS = Set.of("_start", "__libc_start_main", "__libc_start_call_main",
            "start_thread", "clone", "clone3", "__clone", "__clone3");

    private final NativeStacks natives;
    private final Set<String> interpreterPaths = new HashSet<>();
    private final String evalFunction;
    private final long[] addresses = new long[NativeUnwinder.MAX_FRAMES];

    public NativeFrameMerger(PythonProcess process, NativeStacks natives) throws PyspyException {
        this.natives = natives;
        interpreterPaths.add(process.binary().pathInTarget());
        interpreterPaths.add(process.executable());
        String eval = EVAL_FUNCTIONS.get(EVAL_FUNCTIONS.size() - 1);
        for (String name : EVAL_FUNCTIONS) {
            if (process.binary().symbolAddress(name) != 0) {
                eval = name;
                break;
            }
        }
        this.evalFunction = eval;
    }

    /** Thread {@code tid}'s merged stack, innermost first; its Python frames alone if it cannot be unwound. */
    public List<Frame> merge(int tid, List<Frame> python) {
        int n = natives.unwind(tid, addresses);
        if (n <= 0) {
            return python;
        }
        List<Frame> out = new ArrayList<>(n + python.size());
        int p = 0;
        for (int i = 0; i < n; i++) {
            NativeSymbol s = natives.symbol(addresses[i]);
            if (isEval(s)) {
                while (p < python.size()) {
                    Frame f = python.get(p++);
                    out.add(f);
                    if (f.isEntry()) {
                        break;
                    }
                }
            } else if (keep(s)) {
                out.add(frame(s));
            }
        }
        while (p < python.size()) {
            out.add(python.get(p++));
        }
        return out;
    }

    /**
     * Unwinds stopped thread {@code tid} into {@code addresses} (the sampler's buffer for it, at
     * least {@link NativeUnwinder#MAX_FRAMES} long) while the process is paused: the naming and
     * merging ({@link #mergeRaw}) can wait until it runs again. Returns the count, -1 if the thread
     * could not be read.
     */
    public int unwind(int tid, long[] addresses) {
        return natives.unwind(tid, addresses);
    }

    /** Address → what the merge does with it: -1 evaluation loop, -2 left out, else an index in {@link #nativeCodes}. */
    private dev.pyspy.util.LongIntMap plan = new dev.pyspy.util.LongIntMap(1024);
    private final List<CodeInfo> nativeCodes = new ArrayList<>();
    private static final int EVAL = -1;
    private static final int LEFT_OUT = -2;
    private static final int UNKNOWN = -3;

    /**
     * Writes into {@code into} the merged stack of raw stack {@code t} (its Python frames, as walked:
     * left as they are, since the walker reuses them next sample) and the native frames
     * {@link #unwind} found; with none, a copy of {@code t}. Allocates nothing for addresses seen before.
     */
    public void mergeRaw(RawThreadStack t, long[] addresses, int n, CodeCache codes, RawThreadStack into) {
        into.clear();
        into.threadState = t.threadState;
        into.threadId = t.threadId;
        into.nativeThreadId = t.nativeThreadId;
        into.ownsGil = t.ownsGil;
        int depth = t.depth;
        int p = 0;
        for (int i = 0; i < n; i++) {
            int what = plan.get(addresses[i], UNKNOWN);
            if (what == UNKNOWN) {
                what = planFor(addresses[i], codes);
            }
            if (what == EVAL) {
                while (p < depth) {
                    boolean entry = t.entries[p];
                    into.push(t.codes[p], t.lines[p], t.frameAddresses[p], entry);
                    p++;
                    if (entry) {
                        break;
                    }
                }
            } else if (what >= 0) {
                into.push(nativeCodes.get(what), 0, 0, false);
            }
        }
        while (p < depth) {
            into.push(t.codes[p], t.lines[p], t.frameAddresses[p], t.entries[p]);
            p++;
        }
        if (into.omitted() > 0) {
            into.cutMiddle(codes.omittedMarker(into.omitted()));
        }
        into.truncated = t.truncated;
    }

    private int planFor(long address, CodeCache codes) {
        if (plan.size() >= 1 << 16) { // bounded: a program that keeps loading code starts over
            plan = new dev.pyspy.util.LongIntMap(1024);
            nativeCodes.clear();
        }
        NativeSymbol s = natives.symbol(address);
        int what;
        if (isEval(s)) {
            what = EVAL;
        } else if (!keep(s)) {
            what = LEFT_OUT;
        } else {
            String library = s.library() != null ? s.library() : "?";
            nativeCodes.add(codes.syntheticFrame(s.functionOrOffset(), s.path() != null ? s.path() : library, library));
            what = nativeCodes.size() - 1;
        }
        plan.put(address, what);
        return what;
    }

    private boolean keep(NativeSymbol s) {
        return !interpreterPaths.contains(s.path()) && (s.function() == null || !START_FUNCTIONS.contains(s.function()));
    }

    private boolean isEval(NativeSymbol s) {
        String f = s.function();
        if (f == null || !interpreterPaths.contains(s.path()) || !f.startsWith(evalFunction)) {
            return false;
        }
        // gcc's split-off parts (_PyEval_EvalFrameDefault.cold) are the same call
        return f.length() == evalFunction.length() || f.charAt(evalFunction.length()) == '.';
    }

    private static Frame frame(NativeSymbol s) {
        String library = s.library() != null ? s.library() : "?";
        return new Frame(s.functionOrOffset(), s.path() != null ? s.path() : library, library, null, 0, List.of(),
                false, false);
    }
}

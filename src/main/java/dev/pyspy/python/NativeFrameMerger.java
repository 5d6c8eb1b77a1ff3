package dev.pyspy.python;

import dev.pyspy.PyspyException;
import dev.pyspy.model.Frame;
import dev.pyspy.unwind.NativeStacks;
import dev.pyspy.unwind.NativeSymbol;
import dev.pyspy.unwind.NativeUnwinder;
import dev.pyspy.unwind.SourceLine;
import dev.pyspy.util.LongIntMap;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Splices a thread's Python frames into its native stack ({@code --native}): each interpreter
 * evaluation frame is replaced by the Python frames it was running — the frames from the next one
 * up to and including the next entry frame (3.11+ runs several Python frames in one C call, until
 * the frame entered from C; before 3.11 every frame is an entry, so one per call). Other frames of
 * the interpreter's own files (libpython, the python executable: the call machinery) and libc's
 * process and thread start (by name, and any libc frame outside the outermost Python frame) are
 * left out; every other native frame stays, named {@code symbol (file.c:line)} where its library
 * has a line table, else {@code symbol (library.so)}. Python frames left over when the native stack
 * ends (an unwind that stopped early) go at the outer end, so none is ever lost. Used from the
 * tracer thread.
 *
 * <p>An evaluation frame is known by its data where the interpreter leaves some: from 3.12 on each
 * call of the loop puts a shim frame on its own C stack, which the entry frame it runs links to
 * ({@link RawThreadStack#entryLinks}), so the native frame whose part of the stack holds that shim
 * is the loop running those Python frames, whatever its code is called (a stripped build whose
 * exported {@code _PyEval_EvalFrameDefault} jumps into unnamed code, a split or reordered loop).
 * Before 3.12, and for a segment with no shim, the loop is known by its symbol
 * ({@code _PyEval_EvalFrameDefault}; 2.7's {@code PyEval_EvalFrameEx}).
 */
public final class NativeFrameMerger {

    /** Symbols of the interpreter loop; the first one a file defines is its loop. */
    private static final List<String> EVAL_FUNCTIONS = List.of("_PyEval_EvalFrameDefault", "PyEval_EvalFrameEx");
    /** libc's start of the process and of threads: below every stack, never of interest. */
    private static final Set<String> START_FUNCTIONS = Set.of("_start", "__libc_start_main", "__libc_start_call_main",
            "start_thread", "clone", "clone3", "__clone", "__clone3");
    /** What the merge does with an address: evaluation loop by its symbol, left out; else an index in {@link #nativeCodes}. */
    private static final int EVAL = -1;
    private static final int LEFT_OUT = -2;
    private static final int UNKNOWN = -3;

    private final NativeStacks natives;
    private final Set<String> interpreterPaths = new HashSet<>();
    private final String evalFunction;
    private final long[] addresses = new long[NativeUnwinder.MAX_FRAMES];
    private final long[] tops = new long[NativeUnwinder.MAX_FRAMES];
    private LongIntMap plan = new LongIntMap(1024);
    private final List<CodeInfo> nativeCodes = new ArrayList<>();
    private final List<NativeSymbol> nativeSymbols = new ArrayList<>();
    /** Per index in {@link #nativeSymbols}: where its address is in the source, or null. */
    private final List<SourceLine> nativeLines = new ArrayList<>();
    /** Per index in {@link #nativeSymbols}: a frame of libc (or libpthread), left out outside every Python frame. */
    private final List<Boolean> startLibrary = new ArrayList<>();

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

    /**
     * Thread {@code tid}'s merged stack, innermost first; its Python frames alone if it cannot be
     * unwound. {@code raw} is the walk {@code python} was built from (frame for frame), for its shims.
     */
    public List<Frame> merge(int tid, List<Frame> python, RawThreadStack raw) {
        int n = natives.unwind(tid, addresses, tops);
        if (n <= 0) {
            return python;
        }
        boolean[] entries = new boolean[python.size()];
        long[] links = new long[python.size()];
        for (int f = 0; f < python.size(); f++) {
            entries[f] = python.get(f).isEntry();
            links[f] = raw != null && raw.depth == python.size() ? raw.entryLinks[f] : 0;
        }
        Segments segments = new Segments(entries, links, python.size(), n);
        List<Frame> out = new ArrayList<>(n + python.size());
        for (int i = 0; i < n; i++) {
            int what = what(addresses[i], null);
            if (segments.isEval(i, what)) {
                int end = segments.end();
                while (segments.p <= end) {
                    out.add(python.get(segments.p++));
                }
            } else if (what >= 0 && !(segments.p >= python.size() && startLibrary.get(what) && !python.isEmpty())) {
                out.add(frame(nativeSymbols.get(what), nativeLines.get(what)));
            }
        }
        while (segments.p < python.size()) {
            out.add(python.get(segments.p++));
        }
        return out;
    }

    /**
     * Unwinds stopped thread {@code tid} into {@code addresses} and {@code tops} (the sampler's
     * buffers for it, at least {@link NativeUnwinder#MAX_FRAMES} long) while the process is paused:
     * the naming and merging ({@link #mergeRaw}) can wait until it runs again. Returns the count, -1
     * if the thread could not be read.
     */
    public int unwind(int tid, long[] addresses, long[] tops) {
        return natives.unwind(tid, addresses, tops);
    }

    /**
     * Writes into {@code into} the merged stack of raw stack {@code t} (its Python frames, as walked:
     * left as they are, since the walker reuses them next sample) and the native frames
     * {@link #unwind} found; with none, a copy of {@code t}. Allocates nothing for addresses seen before.
     */
    public void mergeRaw(RawThreadStack t, long[] addresses, long[] tops, int n, CodeCache codes, RawThreadStack into) {
        into.clear();
        into.threadState = t.threadState;
        into.threadId = t.threadId;
        into.nativeThreadId = t.nativeThreadId;
        into.ownsGil = t.ownsGil;
        int depth = t.depth;
        rawSegments.reset(t.entries, t.entryLinks, depth, n, tops);
        for (int i = 0; i < n; i++) {
            int what = what(addresses[i], codes);
            if (rawSegments.isEval(i, what)) {
                int end = rawSegments.end();
                for (int p = rawSegments.p; p <= end; p++) {
                    into.push(t.codes[p], t.lines[p], t.frameAddresses[p], t.entries[p]);
                }
                rawSegments.p = end + 1;
            } else if (what >= 0 && !(rawSegments.p >= depth && startLibrary.get(what) && depth > 0)) {
                SourceLine line = nativeLines.get(what);
                into.push(nativeCode(what, codes), line != null ? line.line() : 0, 0, false);
            }
        }
        for (int p = rawSegments.p; p < depth; p++) {
            into.push(t.codes[p], t.lines[p], t.frameAddresses[p], t.entries[p]);
        }
        if (into.omitted() > 0) {
            into.cutMiddle(codes.omittedMarker(into.omitted()));
        }
        into.truncated = t.truncated;
    }

    private final Segments rawSegments = new Segments(null, null, 0, 0);

    /**
     * The Python frames still to place, a segment (up to the next entry frame) at a time, and
     * whether native frame i runs the next one. Reused; allocates nothing.
     */
    private final class Segments {
        private boolean[] entries;
        private long[] links;
        private int depth;
        private long[] frameTops;
        /** The next Python frame to place. */
        int p;
        /** The last frame of the segment starting at {@link #p}, once looked for. */
        private int end;
        private int endFor = -1;
        private long stackHigh;

        Segments(boolean[] entries, long[] links, int depth, int n) {
            reset(entries, links, depth, n, tops);
        }

        void reset(boolean[] entries, long[] links, int depth, int n, long[] frameTops) {
            this.entries = entries;
            this.links = links;
            this.depth = depth;
            this.frameTops = frameTops;
            p = 0;
            endFor = -1;
            stackHigh = n > 0 ? frameTops[n - 1] : 0;
        }

        /** The index of the current segment's entry frame (the last frame if none is marked). */
        int end() {
            if (endFor != p) {
                int q = p;
                while (q < depth - 1 && !entries[q]) {
                    q++;
                }
                end = q;
                endFor = p;
            }
            return end;
        }

        boolean isEval(int i, int what) {
            if (what >= 0 || p >= depth) {
                return false; // a library's frame, or no Python frame left to place
            }
            long shim = links[end()];
            if (shim != 0 && Long.compareUnsigned(shim, stackHigh) < 0) {
                long low = i == 0 ? 0 : frameTops[i - 1];
                return Long.compareUnsigned(shim, low) >= 0 && Long.compareUnsigned(shim, frameTops[i]) < 0;
            }
            return what == EVAL;
        }
    }

    private CodeInfo nativeCode(int what, CodeCache codes) {
        CodeInfo c = nativeCodes.get(what);
        if (c == null) { // planned by a dump, which needs no code
            NativeSymbol s = nativeSymbols.get(what);
            SourceLine line = nativeLines.get(what);
            String library = s.library() != null ? s.library() : "?";
            c = line != null ? codes.syntheticFrame(s.functionOrOffset(), line.path(), line.fileName())
                    : codes.syntheticFrame(s.functionOrOffset(), s.path() != null ? s.path() : library, library);
            nativeCodes.set(what, c);
        }
        return c;
    }

    /** What the merge does with {@code address}: {@link #EVAL}, {@link #LEFT_OUT} or an index in {@link #nativeCodes}. */
    private int what(long address, CodeCache codes) {
        int what = plan.get(address, UNKNOWN);
        return what != UNKNOWN ? what : planFor(address, codes);
    }

    private int planFor(long address, CodeCache codes) {
        if (plan.size() >= 1 << 16) { // bounded: a program that keeps loading code starts over
            plan = new LongIntMap(1024);
            nativeCodes.clear();
            nativeSymbols.clear();
            nativeLines.clear();
            startLibrary.clear();
        }
        NativeSymbol s = natives.symbol(address);
        int what;
        if (isEval(s)) {
            what = EVAL;
        } else if (!keep(s)) {
            what = LEFT_OUT;
        } else {
            nativeSymbols.add(s);
            nativeLines.add(natives.sourceLine(address));
            nativeCodes.add(null);
            startLibrary.add(isStartLibrary(s.library()));
            what = nativeSymbols.size() - 1;
        }
        plan.put(address, what);
        return what;
    }

    /**
     * libc and libpthread: outside the outermost Python frame they only start the process or the
     * thread ({@code start_thread}, {@code clone3}: unnamed where the library is stripped, so they
     * cannot be left out by name).
     */
    private static boolean isStartLibrary(String library) {
        return library != null && (library.startsWith("libc.") || library.startsWith("libc-")
                || library.startsWith("libpthread") || library.startsWith("ld-musl"));
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

    /** A native frame for dump: its library is its module (as py-spy has it), its file and line the source's where known. */
    private static Frame frame(NativeSymbol s, SourceLine line) {
        String library = s.library() != null ? s.library() : "?";
        String path = s.path() != null ? s.path() : library;
        if (line != null) {
            return new Frame(s.functionOrOffset(), line.path(), line.fileName(), path, line.line(), List.of(), false,
                    false);
        }
        return new Frame(s.functionOrOffset(), path, library, path, 0, List.of(), false, false);
    }
}

package dev.pyspy.python;

import dev.pyspy.PyspyException;
import dev.pyspy.process.MemoryReadException;
import dev.pyspy.process.ProcessMemory;
import dev.pyspy.util.LongIntMap;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Which exception each thread is raising or handling ({@code --mode exception}), read from its
 * thread state: the exception being raised ({@code curexc_type} up to 3.11, {@code
 * current_exception} from 3.12), else the innermost one being handled (the thread state's own
 * {@code exc_type} in 2.7 and 3.6; from 3.7 the {@code exc_info} stack of {@code _PyErr_StackItem}s,
 * one per running generator, skipping entries that hold nothing or None, as {@code sys.exc_info()}
 * does). Versions differ only in which of those keys their layout has.
 *
 * <p>The thread states' exception fields (with the stack item embedded in the thread state, where
 * {@code exc_info} points unless a generator runs) come with the walk's own read of the thread states,
 * which reads that far once this reader exists; what they point to (a value's type, a generator's
 * stack item) is read in one call per level, batched across threads. Type names are read once per
 * type address; None's address is learnt from the first None seen, after which a thread with no
 * exception costs no read at all.
 */
public final class ExceptionStates {
    /** Stack items followed per thread: a cycle in garbage must not loop. */
    private static final int MAX_ITEMS = 64;
    private static final int MAX_TYPES = 4096;
    private static final int NONE_TYPE = -1;

    private enum Kind { TYPE, VALUE }

    private final ProcessMemory memory;
    private final StackWalker walker;
    private final PyObjects objects;
    private final CodeCache codes;
    private final int obType;
    private final int raisingType;
    private final int raisingValue;
    private final int handledType;
    private final int excInfo;
    private final int excState;
    private final int itemType;
    private final int itemValue;
    private final int itemPrevious;
    private final int itemSize;

    /** Type address → index in {@link #markers}, or {@link #NONE_TYPE}. */
    private LongIntMap typeMarkers = new LongIntMap(64);
    private final List<CodeInfo> markers = new ArrayList<>();
    private long none;

    // per thread, reused between samples
    /** Each thread's state as the walk read it (the walker's buffers). */
    private ByteBuffer[] windows = new ByteBuffer[0];
    private ByteBuffer[] reads = new ByteBuffer[0];
    private CodeInfo[] found = new CodeInfo[0];
    private long[] threadStates = new long[0];
    /** What a thread waits for: an object whose type to read, or a stack item; 0 when done. */
    private long[] pending = new long[0];
    private Kind[] pendingKind = new Kind[0];
    private boolean[] pendingIsItem = new boolean[0];
    /** The stack item to go on with once the pending candidate turns out empty (0: none). */
    private long[] nextItem = new long[0];
    private int[] itemsLeft = new int[0];

    private long[] batchAddresses = new long[0];
    private ByteBuffer[] batchBuffers = new ByteBuffer[0];
    private int[] batchLengths = new int[0];
    private int[] batchThreads = new int[0];

    private ExceptionStates(ProcessMemory memory, StackWalker walker, Layout layout, PyObjects objects,
                            CodeCache codes) throws PyspyException {
        this.memory = memory;
        this.walker = walker;
        this.objects = objects;
        this.codes = codes;
        obType = layout.offset("PyObject.ob_type");
        raisingType = layout.offsetOr("PyThreadState.curexc_type", -1);
        raisingValue = layout.offsetOr("PyThreadState.current_exception", -1);
        handledType = layout.offsetOr("PyThreadState.exc_type", -1);
        excInfo = layout.offsetOr("PyThreadState.exc_info", -1);
        excState = layout.offsetOr("PyThreadState.exc_state", -1);
        itemType = layout.offsetOr("_PyErr_StackItem.exc_type", -1);
        itemValue = layout.offsetOr("_PyErr_StackItem.exc_value", -1);
        itemPrevious = layout.offsetOr("_PyErr_StackItem.previous_item", -1);
        itemSize = Math.max(Math.max(itemType, itemValue), itemPrevious) + 8;
        int end = 0;
        for (int off : new int[] {raisingType, raisingValue, handledType, excInfo}) {
            end = Math.max(end, off + 8);
        }
        if (excState >= 0) {
            end = Math.max(end, excState + itemSize);
        }
        walker.readThreadStatesThrough(end);
    }

    /**
     * The reader for {@code layout}, or null when the layout does not say where a thread keeps its
     * exceptions (the message of {@link #missing} says what is missing). From then on {@code walker}
     * reads the thread states' exception fields with them: make it before the walk {@link #read} follows.
     */
    public static ExceptionStates forLayout(ProcessMemory memory, StackWalker walker, Layout layout,
                                            PyObjects objects, CodeCache codes) throws PyspyException {
        return missing(layout) == null ? new ExceptionStates(memory, walker, layout, objects, codes) : null;
    }

    /** What the layout lacks for reading exceptions, or null when it has it all. */
    public static String missing(Layout layout) {
        boolean raising = layout.has("PyThreadState.curexc_type") || layout.has("PyThreadState.current_exception");
        boolean handled = layout.has("PyThreadState.exc_type") || (layout.has("PyThreadState.exc_info")
                && layout.has("_PyErr_StackItem.exc_value") && layout.has("_PyErr_StackItem.previous_item"));
        if (raising && handled) {
            return null;
        }
        return (raising ? "" : "the exception a thread raises") + (raising || handled ? "" : " and ")
                + (handled ? "" : "the exceptions a thread handles");
    }

    /**
     * Reads the exception of each of {@code stacks}' threads, which the walker's last walk read;
     * {@link #leaf(int)} then gives the {@code <exception TypeName>} frame of thread {@code i}, or
     * null when it has none.
     */
    public void read(RawStacks stacks) throws MemoryReadException {
        int n = stacks.threadCount();
        ensure(n);
        for (int i = 0; i < n; i++) {
            threadStates[i] = stacks.thread(i).threadState;
            found[i] = null;
            windows[i] = walker.threadStateBytes(i);
        }
        for (int i = 0; i < n; i++) {
            startThread(i);
        }
        for (int round = 0; round < 2 * MAX_ITEMS + 2; round++) {
            int k = 0;
            for (int i = 0; i < n; i++) {
                if (pending[i] != 0) {
                    batchAddresses[k] = pendingIsItem[i] ? pending[i] : pending[i] + obType;
                    batchBuffers[k] = reads[i];
                    batchLengths[k] = pendingIsItem[i] ? itemSize : 8;
                    batchThreads[k++] = i;
                }
            }
            if (k == 0) {
                return;
            }
            memory.readAll(batchAddresses, batchBuffers, batchLengths, k);
            for (int j = 0; j < k; j++) {
                int i = batchThreads[j];
                if (pendingIsItem[i]) {
                    fromItem(i, reads[i], 0, pending[i]);
                } else {
                    typeRead(i, reads[i].getLong(0));
                }
            }
        }
    }

    /** The {@code <exception TypeName>} frame of thread {@code i} of the last {@link #read}, or null. */
    public CodeInfo leaf(int i) {
        return found[i];
    }

    private void startThread(int i) throws MemoryReadException {
        ByteBuffer w = windows[i];
        pending[i] = 0;
        nextItem[i] = 0;
        itemsLeft[i] = MAX_ITEMS;
        long raising = w.getLong(raisingType >= 0 ? raisingType : raisingValue);
        if (handledType >= 0) {
            nextItem[i] = -1; // marks: the handled one is the thread state's own exc_type
        } else {
            nextItem[i] = w.getLong(excInfo);
        }
        candidate(i, raising, raisingType >= 0 ? Kind.TYPE : Kind.VALUE);
    }

    /** Considers {@code object} as thread i's exception; if it holds none, goes on with the next candidate. */
    private void candidate(int i, long object, Kind kind) throws MemoryReadException {
        while (true) {
            if (object != 0 && object != none) {
                int known = kind == Kind.TYPE ? typeMarkers.get(object, Integer.MIN_VALUE) : Integer.MIN_VALUE;
                if (known >= 0) {
                    found[i] = markers.get(known);
                    pending[i] = 0;
                    return;
                }
                // its type says whether it is None, and is the exception's type for a value
                pending[i] = object;
                pendingKind[i] = kind;
                pendingIsItem[i] = false;
                return;
            }
            long item = nextItem[i];
            if (item == -1) {
                nextItem[i] = 0;
                object = windows[i].getLong(handledType);
                kind = Kind.TYPE;
                continue;
            }
            if (item == 0 || itemsLeft[i]-- <= 0) {
                pending[i] = 0;
                return;
            }
            if (excState >= 0 && item == threadStates[i] + excState) {
                fromItem(i, windows[i], excState, item); // embedded: read with the thread state
                return;
            }
            pending[i] = item;
            pendingIsItem[i] = true;
            return;
        }
    }

    /** A stack item at {@code address}, held in {@code b} at {@code base}. */
    private void fromItem(int i, ByteBuffer b, int base, long address) throws MemoryReadException {
        long previous = b.getLong(base + itemPrevious);
        nextItem[i] = previous == address ? 0 : previous;
        if (itemType >= 0) {
            candidate(i, b.getLong(base + itemType), Kind.TYPE);
        } else {
            candidate(i, b.getLong(base + itemValue), Kind.VALUE);
        }
    }

    /** The type {@code type} of thread i's pending candidate was read. */
    private void typeRead(int i, long type) throws MemoryReadException {
        long object = pending[i];
        pending[i] = 0;
        int marker = markerOf(type);
        if (marker == NONE_TYPE) {
            none = object;
            candidate(i, 0, Kind.VALUE);
            return;
        }
        if (pendingKind[i] == Kind.VALUE) {
            found[i] = markers.get(marker);
            return;
        }
        // a type pointer whose own type is not NoneType: the exception's type itself
        found[i] = markers.get(markerOf(object));
    }

    /** The marker index of the type at {@code type} ({@link #NONE_TYPE} for NoneType), read once. */
    private int markerOf(long type) throws MemoryReadException {
        int known = typeMarkers.get(type, Integer.MIN_VALUE);
        if (known != Integer.MIN_VALUE) {
            return known;
        }
        String name = objects.nameOfType(type);
        int index;
        if (name.equals("NoneType")) {
            index = NONE_TYPE;
        } else {
            if (markers.size() >= MAX_TYPES) {
                markers.clear();
                typeMarkers = new LongIntMap(64);
            }
            index = markers.size();
            // builtin types carry their module (2.7's "exceptions.ValueError"): the class name, as user classes show
            markers.add(codes.marker("<exception " + name.substring(name.lastIndexOf('.') + 1) + ">"));
        }
        typeMarkers.put(type, index);
        return index;
    }

    private void ensure(int n) {
        if (windows.length >= n) {
            return;
        }
        int size = Math.max(n, windows.length * 2);
        int old = windows.length;
        windows = Arrays.copyOf(windows, size);
        reads = Arrays.copyOf(reads, size);
        for (int i = old; i < size; i++) {
            reads[i] = ByteBuffer.allocateDirect(Math.max(8, itemSize)).order(ByteOrder.LITTLE_ENDIAN);
        }
        found = Arrays.copyOf(found, size);
        threadStates = Arrays.copyOf(threadStates, size);
        pending = Arrays.copyOf(pending, size);
        pendingKind = Arrays.copyOf(pendingKind, size);
        pendingIsItem = Arrays.copyOf(pendingIsItem, size);
        nextItem = Arrays.copyOf(nextItem, size);
        itemsLeft = Arrays.copyOf(itemsLeft, size);
        batchAddresses = new long[size];
        batchBuffers = new ByteBuffer[size];
        batchLengths = new int[size];
        batchThreads = new int[size];
    }
}

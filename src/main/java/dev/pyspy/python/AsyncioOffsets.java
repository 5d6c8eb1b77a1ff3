package dev.pyspy.python;

import dev.pyspy.ExitCode;
import dev.pyspy.PyspyException;

/**
 * Where asyncio's objects keep what {@code --async-aware} reads: tasks and futures (measured on each
 * interpreter by {@code scripts/gen-layouts}: their structs are private to {@code _asynciomodule.c}),
 * sets and weak references (the task sets up to 3.13), the per-thread task lists (3.14+), and a
 * coroutine's frame and value stack (its top is what a suspended coroutine awaits). Which form a
 * version has is told by which keys its table has.
 */
final class AsyncioOffsets {
    /** The key every table that supports {@code --async-aware} has. */
    static final String SUPPORT_KEY = "TaskObj.task_coro";
    static final int ABSENT = Integer.MIN_VALUE;

    final int taskCoro;
    final int taskName;
    final int taskFutWaiter;
    final int taskSize;
    final int futState;
    final int futCallback0;
    final long statePending;
    final int futureIterFuture;
    final int methodSelf;
    final int setTable;
    final int setMask;
    final int setEntryKey;
    final int setEntrySize;
    /** A set entry's cached hash: -1 marks a deleted entry, whose key is the set's dummy (no object of ours). */
    final int setEntryHash;
    final int weakrefObject;
    final int listItems;
    final int varSize;
    final int obType;
    final int modules;
    final int moduleDict;
    // 3.14+: circular lists of tasks headed in each thread state and in the interpreter
    final int threadTasksHead;
    final int interpreterTasksHead;
    final int taskNode;
    final int nodeNext;
    // a coroutine's frame: a frame object (up to 3.10) or embedded in the coroutine (3.11+)
    final int genFrame;
    final int genInterpreterFrame;
    final int genFrameState;
    /** The generator frame states of a coroutine suspended in an await, and of one whose frame is gone. */
    final long[] suspendedStates;
    final long[] goneStates;
    final int frameLasti;
    final int frameStacktopPointer;
    final int frameValuestack;
    final int frameStackdepth;
    final int interpreterFrameStacktop;
    final int interpreterFrameStackpointer;
    final int localsplus;
    final long tagMask;
    /** Bytes below the value stack's top where a coroutine suspended in an await keeps the awaited object. */
    final int awaitedBelowTop;

    AsyncioOffsets(Layout layout) throws PyspyException {
        if (!layout.has(SUPPORT_KEY)) {
            throw new PyspyException(ExitCode.UNSUPPORTED_VERSION, "--async-aware cannot read the asyncio tasks of "
                    + layout + ": it reads CPython " + LayoutData.BUNDLED.describeHaving(SUPPORT_KEY));
        }
        taskCoro = layout.offset("TaskObj.task_coro");
        taskName = layout.offset("TaskObj.task_name");
        taskFutWaiter = layout.offset("TaskObj.task_fut_waiter");
        taskSize = layout.offset("sizeof.TaskObj");
        futState = layout.offset("FutureObj.fut_state");
        futCallback0 = layout.offset("FutureObj.fut_callback0");
        statePending = layout.value("const.FUT_STATE_PENDING", 0);
        futureIterFuture = layout.offset("FutureIterObj.future");
        methodSelf = layout.offset("PyMethodObject.im_self");
        setTable = layout.offset("PySetObject.table");
        setMask = layout.offset("PySetObject.mask");
        setEntryKey = layout.offset("setentry.key");
        setEntrySize = layout.offset("sizeof.setentry");
        // a setentry is two words, its key and its hash (Include/cpython/setobject.h): the hash is the other one
        setEntryHash = setEntrySize == 16 && (setEntryKey == 0 || setEntryKey == 8) ? 8 - setEntryKey : ABSENT;
        weakrefObject = layout.offset("PyWeakReference.wr_object");
        listItems = layout.offset("PyListObject.ob_item");
        varSize = layout.offset("PyVarObject.ob_size");
        obType = layout.offset("PyObject.ob_type");
        modules = layout.offset("PyInterpreterState.modules");
        moduleDict = layout.offset("PyModuleObject.md_dict");
        threadTasksHead = layout.offsetOr("_PyThreadStateImpl.asyncio_tasks_head", ABSENT);
        interpreterTasksHead = layout.offsetOr("PyInterpreterState.asyncio_tasks_head", ABSENT);
        taskNode = threadTasksHead == ABSENT ? ABSENT : layout.offset("TaskObj.task_node");
        nodeNext = threadTasksHead == ABSENT ? ABSENT : layout.offset("llist_node.next");
        genFrame = layout.offsetOr("PyGenObject.gi_frame", ABSENT);
        genInterpreterFrame = genFrame == ABSENT ? layout.offset("PyGenObject.gi_iframe") : ABSENT;
        genFrameState = layout.offsetOr("PyGenObject.gi_frame_state", ABSENT);
        suspendedStates = values(layout, "const.FRAME_SUSPENDED", "const.FRAME_SUSPENDED_YIELD_FROM",
                "const.FRAME_SUSPENDED_YIELD_FROM_LOCKED");
        goneStates = values(layout, "const.FRAME_COMPLETED", "const.FRAME_CLEARED");
        frameLasti = layout.offsetOr("PyFrameObject.f_lasti", ABSENT);
        frameStacktopPointer = layout.offsetOr("PyFrameObject.f_stacktop", ABSENT);
        frameValuestack = layout.offsetOr("PyFrameObject.f_valuestack", ABSENT);
        frameStackdepth = layout.offsetOr("PyFrameObject.f_stackdepth", ABSENT);
        interpreterFrameStacktop = layout.offsetOr("_PyInterpreterFrame.stacktop", ABSENT);
        interpreterFrameStackpointer = layout.offsetOr("_PyInterpreterFrame.stackpointer", ABSENT);
        localsplus = layout.offsetOr("_PyInterpreterFrame.localsplus", ABSENT);
        tagMask = ~layout.value("const.Py_TAG_BITS", 0);
        awaitedBelowTop = 8 * layout.offset("const.AWAITED_BELOW_STACK_TOP");
        if (genFrame != ABSENT && frameStacktopPointer == ABSENT && frameStackdepth == ABSENT
                || genFrame == ABSENT && (genFrameState == ABSENT || suspendedStates.length == 0 || goneStates.length == 0
                || interpreterFrameStacktop == ABSENT && interpreterFrameStackpointer == ABSENT)) {
            throw new PyspyException(ExitCode.UNSUPPORTED_VERSION, layout
                    + " does not say where a suspended coroutine keeps what it awaits");
        }
    }

    private static long[] values(Layout layout, String... keys) {
        return java.util.Arrays.stream(keys).filter(layout::has).mapToLong(k -> layout.value(k, 0)).toArray();
    }

    static boolean contains(long[] values, long v) {
        for (long x : values) {
            if (x == v) {
                return true;
            }
        }
        return false;
    }

    /** True when the task lists hang off the thread states (3.14+), not off {@code asyncio.tasks}' sets. */
    boolean hasTaskLists() {
        return threadTasksHead != ABSENT;
    }
}

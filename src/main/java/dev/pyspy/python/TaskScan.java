package dev.pyspy.python;

import dev.pyspy.process.MemoryReadException;
import dev.pyspy.util.LongIntMap;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Every pending asyncio task of a process with its struct, read in a few batched reads however many
 * tasks there are ({@code --async-aware} sampling). Up to 3.13 the tasks in {@code asyncio.tasks}'
 * sets are read in one batch. From 3.14 the task lists are linked through the tasks themselves, so the
 * tasks of the last scan are read first in one batch and the lists followed through those bytes; only
 * a task not seen before costs a read of its own.
 */
final class TaskScan {
    private final AsyncioOffsets o;
    private final ObjectReads reads;
    private final TaskTypes types;
    private final AsyncioTaskFinder finder;
    private final long interpreter;
    private final AsyncioTaskFinder.Candidates candidates = new AsyncioTaskFinder.Candidates();
    private final BatchReads refs;
    private final BatchReads structs;
    private final BatchReads fresh;
    /** The last scan's tasks (3.14+: read first, in one batch) and their index in {@link #structs}. */
    private long[] previous = new long[0];
    private int previousCount;
    private final LongIntMap previousIndex = new LongIntMap(64);
    private long[] tasks = new long[64];
    private ByteBuffer[] bytes = new ByteBuffer[64];
    private int count;

    TaskScan(AsyncioOffsets o, ObjectReads reads, dev.pyspy.process.ProcessMemory memory, PyObjects objects,
            long interpreter, TaskTypes types) {
        this.o = o;
        this.reads = reads;
        this.types = types;
        this.interpreter = interpreter;
        this.finder = new AsyncioTaskFinder(o, reads, objects, interpreter, types::isTask);
        this.refs = new BatchReads(memory);
        this.structs = new BatchReads(memory);
        this.fresh = new BatchReads(memory);
    }

    /** Pending tasks found by the last {@link #scan}. */
    int count() {
        return count;
    }

    long task(int i) {
        return tasks[i];
    }

    /** Task {@code i}'s struct ({@code sizeof.TaskObj} bytes), valid until the next scan. */
    ByteBuffer struct(int i) {
        return bytes[i];
    }

    /**
     * Finds every pending task of the process as it stands (paused) in {@code snapshot}. What cannot be
     * read is left out: a candidate freed or mid-update, the rest of a list whose link cannot be read,
     * every task when the sets themselves cannot be.
     */
    void scan(RawStacks snapshot) {
        count = 0;
        if (o.hasTaskLists()) {
            scanLists(snapshot);
            return;
        }
        candidates.clear();
        try {
            finder.setMembers(candidates, refs);
        } catch (MemoryReadException e) {
            return; // a set caught mid-resize: no tasks this look
        }
        structs.clear();
        for (int i = 0; i < candidates.count; i++) {
            structs.add(candidates.addresses[i], o.taskSize);
        }
        structs.readEach(); // a referent that is no task may end where its memory does
        for (int i = 0; i < candidates.count; i++) {
            if (structs.ok(i)) {
                keep(candidates.addresses[i], structs.get(i));
            }
        }
    }

    private void scanLists(RawStacks snapshot) {
        structs.clear();
        previousIndex.clear();
        for (int i = 0; i < previousCount; i++) {
            structs.add(previous[i], o.taskSize);
        }
        structs.readEach();
        for (int i = 0; i < previousCount; i++) {
            if (structs.ok(i)) {
                previousIndex.put(previous[i], i); // a task of the last scan gone with its memory is read alone
            }
        }
        fresh.clear();
        candidates.clear();
        for (int i = 0; i < snapshot.threadCount(); i++) {
            walkList(snapshot.thread(i).threadState + o.threadTasksHead);
        }
        walkList(interpreter + o.interpreterTasksHead);
        if (previous.length < candidates.count) {
            previous = new long[candidates.addresses.length];
        }
        System.arraycopy(candidates.addresses, 0, previous, 0, candidates.count);
        previousCount = candidates.count;
    }

    /** Follows one list; a link that cannot be read ends it (the tasks found so far are kept). */
    private void walkList(long head) {
        try {
            long node = reads.readLong(head + o.nodeNext);
            for (int n = 0; node != head && node != 0 && n < AsyncioTaskFinder.MAX_TASKS; n++) {
                long task = node - o.taskNode;
                int known = previousIndex.get(task, -1);
                ByteBuffer b;
                if (known >= 0) {
                    b = structs.get(known);
                } else {
                    b = fresh.get(fresh.add(task, o.taskSize));
                    fresh.readLast();
                }
                int before = candidates.count;
                candidates.add(task);
                if (candidates.count == before) {
                    break; // seen already: a list that loops back into itself
                }
                keep(task, b);
                node = b.getLong(o.taskNode + o.nodeNext);
            }
        } catch (MemoryReadException e) {
            // caught mid-update: the rest of this list is not read this look
        }
    }

    /** Keeps {@code task} when its struct says it is a task (a type that cannot be read says no) and pending. */
    private void keep(long task, ByteBuffer b) {
        try {
            if (!types.isTaskType(b.getLong(o.obType)) || b.getInt(o.futState) != o.statePending) {
                return;
            }
        } catch (MemoryReadException e) {
            return;
        }
        if (count == tasks.length) {
            tasks = Arrays.copyOf(tasks, count * 2);
            bytes = Arrays.copyOf(bytes, count * 2);
        }
        tasks[count] = task;
        bytes[count++] = b;
    }
}

package dev.pyspy.python;

import dev.pyspy.model.AsyncTask;
import dev.pyspy.process.MemoryReadException;
import dev.pyspy.util.LongIntMap;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Which asyncio tasks await which, learnt from the awaiting side: a task waiting on another task (an
 * {@code await task}) or on a {@code gather}'s future (its {@code _children}), and a {@code TaskGroup}'s
 * child, whose first done callback is the group's bound {@code _on_task_done} (the group's
 * {@code _parent_task} awaits it). {@link #add} (or {@link #addKnown}, sampling) is told each pending
 * task of one look at the process; {@link #parentCount}, {@link #leastParent} and {@link #parentsOf}
 * then answer for any of them. A look allocates nothing once the tables have grown to the process's
 * tasks, except for what a task awaits anew.
 */
final class TaskAwaiters {
    private static final int MAX_CHILDREN = 1 << 16;
    private static final int NO_LINK = -1;

    private final AsyncioOffsets o;
    private final ObjectReads reads;
    private final PyObjects objects;
    private final TaskTypes types;
    /** Child task → its slot: per slot its first link, how many tasks await it, and the least of them. */
    private final LongIntMap childSlots = new LongIntMap(64);
    private int[] firstLink = new int[64];
    private int[] parentCount = new int[64];
    private long[] leastParent = new long[64];
    private int slotCount;
    /** Per link: an awaiting task, and the child's next link. */
    private long[] linkParent = new long[64];
    private int[] linkNext = new int[64];
    private int linkCount;
    /** Every task found awaiting another. */
    private final LongIntMap awaiting = new LongIntMap(64);
    /** What each task awaits, by task address, while its coroutine, waiter and first callback stay the same. */
    private final AddressMap<Known> known = new AddressMap<>();

    /**
     * What a task was found to await. While the task is pending it holds its waiter and callbacks, so
     * the same pointers name the same objects, and a gather's children and a group's parent task do not
     * change.
     */
    private static final class Known {
        long coro;
        long waiter;
        long callback0;
        long[] children = new long[1];
        int childCount;
        long groupParent;
        boolean complete;
    }

    TaskAwaiters(AsyncioOffsets o, ObjectReads reads, PyObjects objects, TaskTypes types) {
        this.o = o;
        this.reads = reads;
        this.objects = objects;
        this.types = types;
    }

    /** Forgets what the last look found. */
    void clear() {
        childSlots.clear();
        awaiting.clear();
        slotCount = 0;
        linkCount = 0;
    }

    /**
     * Learns what pending {@code task} awaits: {@code waiter} is its {@code fut_waiter} and
     * {@code callback0} its first done callback (both from its struct). Returns what it waits on, or
     * null when it waits on nothing.
     */
    AsyncTask.Waiting add(long task, long waiter, long callback0) throws MemoryReadException {
        AsyncTask.Waiting waiting = waiter == 0 ? null : waitingOn(waiter);
        if (waiting != null) {
            for (long child : waiting.tasks()) {
                link(child, task);
            }
        }
        long groupParent = callback0 == 0 ? 0 : groupParent(callback0);
        if (groupParent != 0) {
            link(task, groupParent);
        }
        return waiting;
    }

    /**
     * Like {@link #add}, for sampling: what a task awaits is read again only when its coroutine, its
     * waiter or its first callback changed.
     */
    void addKnown(long task, long coro, long waiter, long callback0) throws MemoryReadException {
        Known k = known.get(task);
        if (k == null || !k.complete || k.coro != coro || k.waiter != waiter || k.callback0 != callback0) {
            if (k == null) {
                if (known.size() > 1 << 18) {
                    known.clear();
                }
                k = new Known();
                known.put(task, k);
            }
            k.complete = false; // until read whole
            k.childCount = 0;
            k.groupParent = 0;
            if (waiter != 0) {
                childTasks(waiter, k);
            }
            k.groupParent = callback0 == 0 ? 0 : groupParent(callback0);
            k.coro = coro;
            k.waiter = waiter;
            k.callback0 = callback0;
            k.complete = true;
        }
        for (int i = 0; i < k.childCount; i++) {
            link(k.children[i], task);
        }
        if (k.groupParent != 0) {
            link(task, k.groupParent);
        }
    }

    /** Forgets what {@link #addKnown} learnt of tasks not in the last look, when they outnumber those in it. */
    void forgetGone(int pendingNow) {
        if (known.size() > 2 * pendingNow + 1024) {
            known.clear();
        }
    }

    /** How many tasks await {@code task}, as the last look found them. */
    int parentCount(long task) {
        int slot = childSlots.get(task, -1);
        return slot < 0 ? 0 : parentCount[slot];
    }

    /** The least address of the tasks awaiting {@code task} (as 3.15's sampler picks the least id); 0 for none. */
    long leastParent(long task) {
        int slot = childSlots.get(task, -1);
        return slot < 0 ? 0 : leastParent[slot];
    }

    /** Whether the last look found {@code task} awaiting some task. */
    boolean awaitsATask(long task) {
        return awaiting.get(task, 0) != 0;
    }

    /** The tasks awaiting {@code task}, in the order found; none when it is awaited by no task. */
    long[] parentsOf(long task) {
        int slot = childSlots.get(task, -1);
        if (slot < 0) {
            return new long[0];
        }
        long[] out = new long[parentCount[slot]];
        int n = 0;
        for (int l = firstLink[slot]; l != NO_LINK; l = linkNext[l]) {
            out[n++] = linkParent[l];
        }
        return out;
    }

    private void link(long child, long parent) {
        int slot = childSlots.get(child, -1);
        if (slot < 0) {
            if (slotCount == firstLink.length) {
                int n = slotCount * 2;
                firstLink = Arrays.copyOf(firstLink, n);
                parentCount = Arrays.copyOf(parentCount, n);
                leastParent = Arrays.copyOf(leastParent, n);
            }
            slot = slotCount++;
            childSlots.put(child, slot);
            firstLink[slot] = NO_LINK;
            parentCount[slot] = 0;
            leastParent[slot] = parent;
        }
        int last = NO_LINK;
        for (int l = firstLink[slot]; l != NO_LINK; l = linkNext[l]) {
            if (linkParent[l] == parent) {
                return;
            }
            last = l;
        }
        if (linkCount == linkParent.length) {
            int n = linkCount * 2;
            linkParent = Arrays.copyOf(linkParent, n);
            linkNext = Arrays.copyOf(linkNext, n);
        }
        int l = linkCount++;
        linkParent[l] = parent;
        linkNext[l] = NO_LINK;
        if (last == NO_LINK) {
            firstLink[slot] = l;
        } else {
            linkNext[last] = l;
        }
        parentCount[slot]++;
        leastParent[slot] = Math.min(leastParent[slot], parent);
        awaiting.put(parent, 1);
    }

    /** A task awaited (an {@code await task}), a gather's children, or a plain future (no tasks). */
    private AsyncTask.Waiting waitingOn(long future) throws MemoryReadException {
        String type = objects.typeName(future);
        if (types.isTask(future)) {
            return new AsyncTask.Waiting(type, List.of(future));
        }
        long children = gatherChildren(future);
        List<Long> tasks = new ArrayList<>();
        if (children != 0) {
            for (long child : listItems(children)) {
                if (types.isTask(child)) {
                    tasks.add(child);
                }
            }
        }
        return new AsyncTask.Waiting(type, List.copyOf(tasks));
    }

    /** Into {@code k}: the tasks awaited through {@code future}, as {@link #waitingOn} finds them. */
    private void childTasks(long future, Known k) throws MemoryReadException {
        if (types.isTask(future)) {
            k.children[k.childCount++] = future;
            return;
        }
        long children = gatherChildren(future);
        if (children == 0) {
            return;
        }
        long[] items = listItems(children);
        for (long child : items) {
            if (types.isTask(child)) {
                if (k.childCount == k.children.length) {
                    k.children = Arrays.copyOf(k.children, Math.max(items.length, 2 * k.childCount));
                }
                k.children[k.childCount++] = child;
            }
        }
    }

    /** A gather's list of children ({@code _children}), else 0. */
    private long gatherChildren(long future) throws MemoryReadException {
        long children = objects.attribute(future, "_children");
        return children != 0 && objects.typeName(children).equals("list") ? children : 0;
    }

    /** The parent task of the TaskGroup whose bound {@code _on_task_done} is this callback, else 0. */
    private long groupParent(long callback) throws MemoryReadException {
        if (!types.isBuiltin(callback, "method")) {
            return 0;
        }
        long self = reads.readLong(callback + o.methodSelf);
        long parent = self == 0 ? 0 : objects.attribute(self, "_parent_task");
        return parent != 0 && types.isTask(parent) ? parent : 0;
    }

    private long[] listItems(long list) throws MemoryReadException {
        long n = reads.readLong(list + o.varSize);
        ObjectReads.checkLength(list, n);
        if (n > MAX_CHILDREN) {
            throw new MemoryReadException(String.format("list at 0x%x has implausible length %d", list, n));
        }
        return reads.readPointers(reads.readLong(list + o.listItems), (int) n);
    }
}

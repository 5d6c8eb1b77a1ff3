package dev.pyspy.python;

import dev.pyspy.model.AsyncTask;
import dev.pyspy.process.MemoryReadException;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Which asyncio tasks await which, learnt from the awaiting side: a task waiting on another task (an
 * {@code await task}) or on a {@code gather}'s future (its {@code _children}), and a {@code TaskGroup}'s
 * child, whose first done callback is the group's bound {@code _on_task_done} (the group's
 * {@code _parent_task} awaits it). {@link #add} is told each pending task of one look at the process;
 * {@link #parentsOf} then answers for any of them.
 */
final class TaskAwaiters {
    private static final int MAX_CHILDREN = 1 << 16;
    private static final long[] NONE = {};

    private final AsyncioOffsets o;
    private final ObjectReads reads;
    private final PyObjects objects;
    private final TaskTypes types;
    /** Child task → the tasks awaiting it, in the order found. */
    private final Map<Long, long[]> parents = new HashMap<>();
    /** What each task awaits, by task address, while its coroutine, waiter and first callback stay the same. */
    private final Map<Long, Known> known = new HashMap<>();

    /**
     * What a task was found to await. While the task is pending it holds its waiter and callbacks, so
     * the same pointers name the same objects, and a gather's children and a group's parent task do not
     * change.
     */
    private static final class Known {
        long coro;
        long waiter;
        long callback0;
        long[] children;
        long groupParent;
    }

    TaskAwaiters(AsyncioOffsets o, ObjectReads reads, PyObjects objects, TaskTypes types) {
        this.o = o;
        this.reads = reads;
        this.objects = objects;
        this.types = types;
    }

    /** Forgets what the last look found. */
    void clear() {
        parents.clear();
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
        if (k == null || k.coro != coro || k.waiter != waiter || k.callback0 != callback0) {
            if (known.size() > 1 << 18) {
                known.clear();
            }
            k = new Known();
            k.coro = coro;
            k.waiter = waiter;
            k.callback0 = callback0;
            AsyncTask.Waiting waiting = waiter == 0 ? null : waitingOn(waiter);
            k.children = waiting == null ? NONE : waiting.tasks().stream().mapToLong(Long::longValue).toArray();
            k.groupParent = callback0 == 0 ? 0 : groupParent(callback0);
            known.put(task, k);
        }
        for (long child : k.children) {
            link(child, task);
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

    /** The tasks awaiting {@code task}, as the last look found them; none when it is awaited by no task. */
    long[] parentsOf(long task) {
        return parents.getOrDefault(task, NONE);
    }

    private void link(long child, long parent) {
        long[] known = parents.get(child);
        if (known == null) {
            parents.put(child, new long[]{parent});
        } else if (Arrays.stream(known).noneMatch(p -> p == parent)) {
            long[] more = Arrays.copyOf(known, known.length + 1);
            more[known.length] = parent;
            parents.put(child, more);
        }
    }

    /** A task awaited (an {@code await task}), a gather's children, or a plain future (no tasks). */
    private AsyncTask.Waiting waitingOn(long future) throws MemoryReadException {
        String type = objects.typeName(future);
        if (types.isTask(future)) {
            return new AsyncTask.Waiting(type, List.of(future));
        }
        long children = objects.attribute(future, "_children");
        List<Long> tasks = new ArrayList<>();
        if (children != 0 && objects.typeName(children).equals("list")) {
            for (long child : listItems(children)) {
                if (types.isTask(child)) {
                    tasks.add(child);
                }
            }
        }
        return new AsyncTask.Waiting(type, List.copyOf(tasks));
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

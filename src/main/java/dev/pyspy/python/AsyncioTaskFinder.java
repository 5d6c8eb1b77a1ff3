package dev.pyspy.python;

import dev.pyspy.process.MemoryReadException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * Finds every asyncio task object of a process: up to 3.13 in the sets the {@code asyncio.tasks}
 * module keeps (whichever of {@code _all_tasks}, {@code _scheduled_tasks} (weak sets) and
 * {@code _eager_tasks} (a set) it has), reached through the interpreter's {@code sys.modules}; from
 * 3.14 in the circular lists headed in each thread state and in the interpreter.
 */
final class AsyncioTaskFinder {
    /** Most tasks read: beyond this a list or set is taken for garbage. */
    static final int MAX_TASKS = 1 << 20;
    private static final String[] TASK_SETS = AsyncioData.TASK_SETS;
    private static final int CHUNK = 4096;
    /** The task sets are looked up by name again after this many uses (and when one is no set any more). */
    private static final int SETS_LOOKUP_EVERY = 100;

    @FunctionalInterface
    interface TaskCheck {
        boolean isTask(long obj) throws MemoryReadException;
    }

    private final AsyncioOffsets o;
    private final ObjectReads reads;
    private final PyObjects objects;
    private final long interpreter;
    private final TaskCheck check;
    private final long[] sets = new long[TASK_SETS.length];
    private final boolean[] weakSets = new boolean[TASK_SETS.length];
    private int setCount;
    private int setsAge = SETS_LOOKUP_EVERY;
    /** The keys of the set read last ({@link #readSetKeys}). */
    private long[] keys = new long[64];
    private int keyCount;
    /** Where a chunk of a set's table is read, kept for the next read. */
    private ByteBuffer tableBytes = ByteBuffer.allocateDirect(64 * 16).order(ByteOrder.LITTLE_ENDIAN);
    private final dev.pyspy.util.LongIntMap weakrefTypes = new dev.pyspy.util.LongIntMap(4);

    AsyncioTaskFinder(AsyncioOffsets o, ObjectReads reads, PyObjects objects, long interpreter, TaskCheck check) {
        this.o = o;
        this.reads = reads;
        this.objects = objects;
        this.interpreter = interpreter;
        this.check = check;
    }

    /** The task objects, each once; none when the program never imported asyncio. */
    Set<Long> find(RawStacks snapshot) throws MemoryReadException {
        Set<Long> tasks = new LinkedHashSet<>();
        if (o.hasTaskLists()) {
            for (int i = 0; i < snapshot.threadCount(); i++) {
                walkList(snapshot.thread(i).threadState + o.threadTasksHead, tasks);
            }
            walkList(interpreter + o.interpreterTasksHead, tasks);
            return tasks;
        }
        lookUpSets();
        for (int s = 0; s < setCount; s++) {
            boolean weak = weakSets[s];
            readSetKeys(sets[s]);
            for (long key : Arrays.copyOf(keys, keyCount)) {
                try {
                    long obj = weak ? weakReferent(key) : key;
                    if (obj != 0 && check.isTask(obj)) {
                        tasks.add(obj);
                    }
                } catch (MemoryReadException e) {
                    // a key whose type cannot be read is no task of a set the program still uses
                }
            }
        }
        return tasks;
    }

    /**
     * Up to 3.13, for reading many tasks at once: the objects in {@code asyncio.tasks}' sets, the weak
     * sets' referents read in one batch, not checked to be tasks (the caller reads each one whole and
     * checks its type then). Added to {@code out}; none when asyncio is not imported.
     */
    void setMembers(Candidates out, BatchReads refs) throws MemoryReadException {
        if (setsAge++ >= SETS_LOOKUP_EVERY || !setsStillSets()) {
            lookUpSets();
        }
        for (int s = 0; s < setCount; s++) {
            readSetKeys(sets[s]);
            if (!weakSets[s]) {
                for (int i = 0; i < keyCount; i++) {
                    out.add(keys[i]);
                }
                continue;
            }
            refs.clear();
            for (int i = 0; i < keyCount; i++) {
                refs.add(keys[i], o.weakrefObject + 8);
            }
            refs.readEach();
            for (int i = 0; i < refs.size(); i++) {
                ByteBuffer b = refs.get(i);
                try {
                    if (refs.ok(i) && isWeakrefType(b.getLong(o.obType))) {
                        out.add(b.getLong(o.weakrefObject));
                    }
                } catch (MemoryReadException e) {
                    // a key freed meanwhile: no reference to a task
                }
            }
        }
    }

    /** Whether {@code type} is the weak reference type, answered once per type address. */
    private boolean isWeakrefType(long type) throws MemoryReadException {
        int known = weakrefTypes.get(type, -1);
        if (known < 0) {
            String name = objects.nameOfType(type);
            known = name.equals("weakref") || name.equals("weakref.ReferenceType") ? 1 : 0;
            weakrefTypes.put(type, known);
        }
        return known == 1;
    }

    /** The sets of the last look-up are sets still (one read each): a module's globals are rebound seldom. */
    private boolean setsStillSets() throws MemoryReadException {
        for (int s = 0; s < setCount; s++) {
            if (!objects.typeName(sets[s]).equals("set")) {
                return false;
            }
        }
        return true;
    }

    /** Finds {@code asyncio.tasks}' task sets (a weak set's {@code data} set): a look-up by name costs hundreds of reads. */
    private void lookUpSets() throws MemoryReadException {
        setsAge = 0;
        setCount = 0;
        long modules = reads.readLong(interpreter + o.modules);
        long module = modules == 0 ? 0 : objects.dictLookup(modules, "asyncio.tasks");
        if (module == 0) {
            return;
        }
        long dict = reads.readLong(module + o.moduleDict);
        for (String name : TASK_SETS) {
            long set = objects.dictLookup(dict, name);
            if (set == 0) {
                continue;
            }
            String type = objects.typeName(set);
            boolean weak = type.equals("WeakSet");
            long data = weak ? objects.attribute(set, "data") : set;
            if (data != 0 && (weak || type.equals("set")) && objects.typeName(data).equals("set")) {
                sets[setCount] = data;
                weakSets[setCount++] = weak;
            }
        }
    }

    /** Addresses found, each once. */
    static final class Candidates {
        private final dev.pyspy.util.LongIntMap seen = new dev.pyspy.util.LongIntMap(64);
        long[] addresses = new long[64];
        int count;

        void clear() {
            seen.clear();
            count = 0;
        }

        void add(long address) {
            if (address == 0 || (address & 7) != 0 || seen.get(address, -1) >= 0) {
                return;
            }
            seen.put(address, count);
            if (count == addresses.length) {
                addresses = java.util.Arrays.copyOf(addresses, count * 2);
            }
            addresses[count++] = address;
        }
    }

    private void walkList(long head, Set<Long> tasks) throws MemoryReadException {
        long node = reads.readLong(head + o.nodeNext);
        for (int n = 0; node != head && node != 0; n++) {
            if (n >= MAX_TASKS) {
                throw new MemoryReadException(String.format("the task list at 0x%x does not end", head));
            }
            long task = node - o.taskNode;
            if (check.isTask(task)) {
                tasks.add(task);
            }
            node = reads.readLong(node + o.nodeNext);
        }
    }

    /** The referent of a weak reference found in a weak set's data, 0 when it is not one. */
    private long weakReferent(long ref) throws MemoryReadException {
        String type = objects.typeName(ref);
        if (!type.equals("weakref") && !type.equals("weakref.ReferenceType")) {
            return 0; // the set's dummy entry, or not a weak set after all
        }
        return reads.readLong(ref + o.weakrefObject);
    }

    /**
     * Into {@link #keys}: the keys of a set's hash table: not its empty entries, nor its deleted ones
     * (hash -1), whose key is the set's dummy, of a type with no size that no object check accepts.
     */
    private void readSetKeys(long set) throws MemoryReadException {
        keyCount = 0;
        long table = reads.readLong(set + o.setTable);
        long mask = reads.readLong(set + o.setMask);
        if (mask < 0 || mask >= 4L * MAX_TASKS) {
            throw new MemoryReadException(String.format("set at 0x%x has implausible mask %d", set, mask));
        }
        for (long i = 0; i <= mask; i += CHUNK) {
            int n = (int) Math.min(CHUNK, mask + 1 - i);
            int bytes = n * o.setEntrySize;
            if (tableBytes.capacity() < bytes) {
                tableBytes = ByteBuffer.allocateDirect(bytes).order(ByteOrder.LITTLE_ENDIAN);
            }
            reads.readInto(table + i * o.setEntrySize, tableBytes, bytes);
            ByteBuffer b = tableBytes;
            for (int j = 0; j < n; j++) {
                long key = b.getLong(j * o.setEntrySize + o.setEntryKey);
                boolean deleted = o.setEntryHash != AsyncioOffsets.ABSENT && b.getLong(j * o.setEntrySize + o.setEntryHash) == -1;
                if (key != 0 && !deleted) {
                    if (keyCount == keys.length) {
                        keys = Arrays.copyOf(keys, keyCount * 2);
                    }
                    keys[keyCount++] = key;
                }
            }
        }
    }
}

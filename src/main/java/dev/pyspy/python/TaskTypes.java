package dev.pyspy.python;

import dev.pyspy.process.MemoryReadException;

import dev.pyspy.util.LongIntMap;

/**
 * Which objects are asyncio tasks and coroutines, by their type: a task is an {@code _asyncio.Task}
 * of the C implementation or of any subclass of it (the class's {@code tp_base} chain is followed, so
 * a {@code class MyTask(asyncio.Task)} counts: its instances start with the C task's fields);
 * coroutines and generators are the interpreter's own, not heap types named alike. Answers are kept
 * per type address.
 */
final class TaskTypes {
    private static final String TASK_TYPE = "_asyncio.Task";
    /** Deeper class hierarchies than this are taken for garbage. */
    private static final int MAX_BASES = 32;

    private final ObjectReads reads;
    private final PyObjects objects;
    private final int typeBase;
    private final int typeFlags;
    /** Per type address: 1 when it is one, 0 when not (no boxing: asked per task per pass). */
    private final LongIntMap taskTypes = new LongIntMap(16);
    private final LongIntMap coroutineTypes = new LongIntMap(16);

    TaskTypes(ObjectReads reads, PyObjects objects, Layout layout) throws dev.pyspy.PyspyException {
        this.reads = reads;
        this.objects = objects;
        this.typeBase = layout.offset("PyTypeObject.tp_base");
        this.typeFlags = layout.offset("PyTypeObject.tp_flags");
    }

    /** An {@code asyncio.Task} of the C implementation, or of a subclass of it. */
    boolean isTask(long obj) throws MemoryReadException {
        if (obj == 0 || (obj & 7) != 0) {
            return false;
        }
        return isTaskType(objects.typeOf(obj));
    }

    /** Whether {@code type} is {@code _asyncio.Task} or a subclass of it. */
    boolean isTaskType(long type) throws MemoryReadException {
        if (type == 0 || (type & 7) != 0) {
            return false;
        }
        int known = taskTypes.get(type, -1);
        if (known < 0) {
            known = derivesFrom(type, TASK_TYPE) ? 1 : 0;
            taskTypes.put(type, known);
        }
        return known == 1;
    }

    /** A coroutine or generator object (the interpreter's own types). */
    boolean isCoroutine(long obj) throws MemoryReadException {
        return isCoroutineType(objects.typeOf(obj));
    }

    /** Whether {@code type} is the coroutine or generator type. */
    boolean isCoroutineType(long type) throws MemoryReadException {
        if (type == 0 || (type & 7) != 0) {
            return false;
        }
        int known = coroutineTypes.get(type, -1);
        if (known < 0) {
            known = isBuiltinType(type, "coroutine") || isBuiltinType(type, "generator") ? 1 : 0;
            coroutineTypes.put(type, known);
        }
        return known == 1;
    }

    /** An object of the interpreter's own (static, not heap) type named {@code name}. */
    boolean isBuiltin(long obj, String name) throws MemoryReadException {
        return isBuiltinType(objects.typeOf(obj), name);
    }

    private boolean isBuiltinType(long type, String name) throws MemoryReadException {
        return (reads.readLong(type + typeFlags) & PyTypes.TPFLAGS_HEAPTYPE) == 0 && objects.nameOfType(type).equals(name);
    }

    /** Whether the type or one of its bases is named {@code name} (the C type's {@code tp_name}). */
    private boolean derivesFrom(long type, String name) throws MemoryReadException {
        long t = type;
        for (int i = 0; i < MAX_BASES && t != 0; i++) {
            if (objects.nameOfType(t).equals(name)) {
                return true;
            }
            t = reads.readLong(t + typeBase);
        }
        return false;
    }
}

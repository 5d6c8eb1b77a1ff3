package dev.pyspy.python;

import dev.pyspy.PyspyException;
import dev.pyspy.process.ProcessMemory;
import dev.pyspy.process.MemoryReadException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.Map;

/**
 * Thread names from the {@code threading} module's registry: {@code sys.modules["threading"]._active}
 * maps each thread's ident to its Thread object, whose {@code _name} ({@code _Thread__name} on 2.7)
 * is what users see.
 * Names are cached by (ident, Thread object) and only re-read for threads not seen before.
 *
 * <p>The target runs while names are read, and a thread may be renamed meanwhile: its old name object
 * is then freed and its memory reused, perhaps by the new name being written. A name is kept only
 * when a second read finds the thread still pointing at the same object holding the same text;
 * otherwise it is read again, and after {@link #READ_ATTEMPTS} torn reads left out (the thread shows
 * without a name until the next refresh) — never shown half-written. A thread renaming itself over
 * and over reuses the same few blocks for its names, so both reads can meet the same mix: a longer
 * name's length over a shorter one's text, whose terminating NUL then shows inside. A name holding a
 * NUL is taken for such a mix (no operating system thread name can hold one either).
 */
public final class ThreadNames {
    private static final int MAX_THREADS = 100_000;
    private static final int READ_ATTEMPTS = 3;

    private final ProcessMemory memory;
    private final PyObjects objects;
    private final long modulesField;
    private final int mdDict;
    private final Map<Long, Long> threadObjects = new HashMap<>();
    private final Map<Long, String> namesByObject = new HashMap<>();
    private final ByteBuffer word = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);

    public ThreadNames(ProcessMemory memory, PyObjects objects, Layout layout, long interp) throws PyspyException {
        this.memory = memory;
        this.objects = objects;
        this.modulesField = interp + layout.offset("PyInterpreterState.modules");
        this.mdDict = layout.offset("PyModuleObject.md_dict");
    }

    /** Re-reads the registry (call when the set of threads changed); returns ident → name, every name read. */
    public Map<Long, String> refresh() throws MemoryReadException {
        refreshObjects();
        Map<Long, String> names = new HashMap<>();
        for (long ident : threadObjects.keySet()) {
            String name = nameOf(ident);
            if (name != null) {
                names.put(ident, name);
            }
        }
        return names;
    }

    /**
     * Re-reads the registry's idents and Thread objects only (call when the set of threads changed);
     * each name is read when first asked for ({@link #nameOf}): a sampler keeps a few threads of
     * thousands, and a name costs several reads.
     */
    public void refreshObjects() throws MemoryReadException {
        threadObjects.clear();
        long modules = pointer(modulesField);
        long threading = modules == 0 ? 0 : objects.dictLookup(modules, "threading");
        long active = threading == 0 ? 0 : objects.dictLookup(pointer(threading + mdDict), "_active");
        if (active != 0) {
            objects.dictItems(active, MAX_THREADS, (key, value) -> threadObjects.put(objects.longValue(key), value));
        }
        namesByObject.keySet().retainAll(new java.util.HashSet<>(threadObjects.values()));
    }

    /** The name of the thread {@code ident} as the last {@link #refreshObjects} listed it; null if none. */
    public String nameOf(long ident) throws MemoryReadException {
        Long thread = threadObjects.get(ident);
        if (thread == null) {
            return null;
        }
        String name = namesByObject.get(thread);
        if (name == null) {
            name = stableName(thread);
            if (name != null) {
                namesByObject.put(thread, name);
            }
        }
        return name;
    }

    /** The name of a Thread object, read twice alike; null if it has none or it kept changing. */
    private String stableName(long thread) throws MemoryReadException {
        for (int attempt = 0; attempt < READ_ATTEMPTS; attempt++) {
            long nameObject = nameObject(thread);
            if (nameObject == 0) {
                return null;
            }
            try {
                String text = objects.readString(nameObject, DisplayText.MAX_CHARS + 1);
                if (text.indexOf('\0') < 0 && nameObject(thread) == nameObject
                        && text.equals(objects.readString(nameObject, DisplayText.MAX_CHARS + 1))) {
                    return DisplayText.clean(text);
                }
            } catch (MemoryReadException e) {
                // freed and reused as something else while being read: read the thread's name again
            }
        }
        return null;
    }

    private long nameObject(long thread) throws MemoryReadException {
        long nameObject = objects.attribute(thread, "_name");
        return nameObject != 0 ? nameObject : objects.attribute(thread, "_Thread__name"); // 2.7's mangled self.__name
    }

    private long pointer(long address) throws MemoryReadException {
        memory.read(address, word, 8);
        return word.getLong(0);
    }
}

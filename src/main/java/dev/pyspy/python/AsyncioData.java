package dev.pyspy.python;

import java.util.ArrayList;
import java.util.List;

/**
 * What {@code --async-aware} knows of asyncio beyond the layout tables, as data (the resource
 * {@code asyncio/asyncio.txt}): the field order of {@code _Py_AsyncioModuleDebugOffsets} with the
 * layout key each field gives, and the names of {@code asyncio.tasks}' task sets.
 */
final class AsyncioData {
    private static final String RESOURCE = "/dev/pyspy/asyncio/asyncio.txt";
    /** The debug offsets' fields in order: the layout key each gives, null for the ones not read. */
    static final String[] DEBUG_OFFSET_KEYS;
    static final String[] TASK_SETS;

    static {
        List<String> keys = new ArrayList<>();
        List<String> sets = new ArrayList<>();
        for (String[] f : DataFile.records(RESOURCE)) {
            if (f[0].equals("debug-offset") && f.length == 3) {
                keys.add(f[2].equals("-") ? null : f[2]);
            } else if (f[0].equals("task-set") && f.length == 2) {
                sets.add(f[1]);
            } else {
                throw DataFile.badRecord(RESOURCE, f);
            }
        }
        DEBUG_OFFSET_KEYS = keys.toArray(new String[0]);
        TASK_SETS = sets.toArray(new String[0]);
    }

    private AsyncioData() {
    }
}

package dev.pyspy.python;

import dev.pyspy.PyspyException;
import dev.pyspy.process.ElfFile;
import dev.pyspy.process.MemoryMapping;
import dev.pyspy.process.MemoryReadException;
import dev.pyspy.process.ProcFs;
import dev.pyspy.process.ProcMaps;
import dev.pyspy.util.Log;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * 3.14+: the offsets the {@code _asyncio} module publishes for debuggers
 * ({@code _Py_AsyncioModuleDebugOffsets}, in the ELF section {@code .AsyncioDebug} of the
 * {@code _asyncio} extension, or of the interpreter's own file when the module is built in), read
 * from the target and laid over the table: patch releases move the task lists inside the thread
 * and interpreter states (3.14.3 and 3.14.8 differ), which no fixed table can know.
 */
final class AsyncioDebugOffsets {
    private static final Log log = Log.of(AsyncioDebugOffsets.class);
    static final String SECTION = ".AsyncioDebug";
    /** The struct's uint64 fields in order, each with the table key it gives (null: not read); from data. */
    private static final String[] KEYS = AsyncioData.DEBUG_OFFSET_KEYS;
    /** Offsets past this are taken for garbage: no task or state struct is this large. */
    private static final long MAX_OFFSET = 1 << 22;

    private AsyncioDebugOffsets() {
    }

    /**
     * {@code layout} with the target's asyncio debug offsets laid over it; {@code layout} itself when the
     * table has no task lists (before 3.14) or the target publishes none (asyncio not imported yet).
     */
    static Layout over(Layout layout, PythonProcess process) throws PyspyException {
        if (!layout.has("_PyThreadStateImpl.asyncio_tasks_head")) {
            return layout;
        }
        List<MemoryMapping> maps = ProcMaps.read(process.pid());
        Map<String, Long> found = null;
        for (MemoryMapping m : maps) {
            String name = m.path() == null ? "" : Path.of(PythonBinary.stripDeleted(m.path())).getFileName().toString();
            if (m.offset() == 0 && name.startsWith("_asyncio.") && name.endsWith(".so")) {
                ElfFile elf = ElfFile.open(ProcFs.openableFile(process.pid(), m));
                found = read(process, elf, elf.loadBias(ProcMaps.ofFile(maps, m.path())));
                break;
            }
        }
        if (found == null) {
            found = read(process, process.binary().elf(), process.binary().loadBias());
        }
        if (found == null) {
            log.debug("pid {}: no {} section: the table's asyncio offsets are used", process.pid(), SECTION);
            return layout;
        }
        return layout.overriddenBy("asyncio debug offsets of " + process.version() + " over " + layout, found);
    }

    private static Map<String, Long> read(PythonProcess process, ElfFile elf, long bias) throws PyspyException {
        ElfFile.Section section = elf.section(SECTION).orElse(null);
        if (section == null || section.size() < 8L * KEYS.length) {
            return null;
        }
        ByteBuffer b = ByteBuffer.allocate(8 * KEYS.length).order(ByteOrder.LITTLE_ENDIAN);
        try {
            process.memory().read(section.address() + bias, b, b.capacity());
        } catch (MemoryReadException e) {
            throw new PyspyException(dev.pyspy.ExitCode.ERROR, "cannot read the asyncio debug offsets of process "
                    + process.pid() + ": " + e.getMessage(), e);
        }
        Map<String, Long> values = new HashMap<>();
        for (int i = 0; i < KEYS.length; i++) {
            long v = b.getLong(8 * i);
            if (KEYS[i] != null) {
                if (v <= 0 || v > MAX_OFFSET) {
                    throw new PyspyException(dev.pyspy.ExitCode.UNSUPPORTED_VERSION, "the asyncio debug offsets of process "
                            + process.pid() + " are not plausible (" + KEYS[i] + " = " + v + ")");
                }
                values.put(KEYS[i], v);
            }
        }
        return values;
    }
}

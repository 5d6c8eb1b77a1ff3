package dev.pyspy.python;

import dev.pyspy.PyspyException;
import dev.pyspy.process.ElfFile;
import dev.pyspy.process.ProcessMemory;
import dev.pyspy.process.MemoryMapping;
import dev.pyspy.process.MemoryReadException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * Finds the first interpreter state: through the {@code _PyRuntime} (3.7+) or {@code interp_head}
 * (2.7, 3.6) symbols, or, when the binary has no symbols, by scanning its {@code .PyRuntime},
 * {@code .data} and {@code .bss} for a pointer that validates. A candidate validates when its first
 * thread state's {@code interp} points back to it.
 */
final class InterpreterLocator {
    private static final String[] SCAN_SECTIONS = {".PyRuntime", ".data", ".bss"};
    private static final int MAX_SCAN_BYTES = 64 << 20;

    private final ProcessMemory memory;
    private final List<MemoryMapping> maps;
    private final int interpThreads;
    private final int tsInterp;
    private final int runtimeInterpreters;
    private final int interpModules;
    private final int obType;
    private final int tpName;
    private final ByteBuffer word = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);

    /** Where the search ended: the interpreter, and the runtime that holds it (0 before 3.7). */
    record Found(long interpreter, long runtime) {
    }

    InterpreterLocator(ProcessMemory memory, List<MemoryMapping> maps, Layout layout) throws PyspyException {
        this.memory = memory;
        this.maps = maps;
        this.interpThreads = layout.offset("PyInterpreterState.tstate_head");
        this.tsInterp = layout.offset("PyThreadState.interp");
        this.runtimeInterpreters = layout.offsetOr("_PyRuntimeState.interpreters_head", -1);
        this.interpModules = layout.offset("PyInterpreterState.modules");
        this.obType = layout.offset("PyObject.ob_type");
        this.tpName = layout.offset("PyTypeObject.tp_name");
    }

    Found locate(PythonBinary binary, long runtimeSymbol) {
        Found found = locateBySymbols(runtimeSymbol, binary.symbolAddress("interp_head"));
        return found != null ? found : scan(binary);
    }

    /**
     * What the symbols say ({@code _PyRuntime}'s address and {@code interp_head}'s, each 0 when the
     * binary lacks it), a few reads; null when they do not lead to an interpreter that validates.
     */
    Found locateBySymbols(long runtimeSymbol, long head) {
        if (runtimeSymbol != 0 && runtimeInterpreters >= 0) {
            long interp = pointerAt(runtimeSymbol + runtimeInterpreters);
            if (validates(interp)) {
                return new Found(interp, runtimeSymbol);
            }
        }
        if (head != 0) {
            long interp = pointerAt(head);
            if (validates(interp)) {
                return new Found(interp, 0);
            }
        }
        return null;
    }

    /** The symbol-free search: also used directly by tests to prove it finds what the symbols say. */
    Found scan(PythonBinary binary) {
        for (String name : SCAN_SECTIONS) {
            ElfFile.Section section = binary.elf().section(name).orElse(null);
            if (section == null || section.size() <= 0 || section.size() > MAX_SCAN_BYTES) {
                continue;
            }
            long start = section.address() + binary.loadBias();
            int size = (int) section.size();
            ByteBuffer data = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
            try {
                memory.read(start, data, size);
            } catch (MemoryReadException e) {
                continue;
            }
            for (int off = 0; off + 8 <= size; off += 8) {
                long candidate = data.getLong(off);
                if (candidate != 0 && (candidate & 7) == 0 && isMappedReadable(candidate) && validates(candidate)
                        && holdsModulesDict(candidate)) {
                    long runtime = runtimeInterpreters >= 0 ? start + off - runtimeInterpreters : 0;
                    return new Found(candidate, runtime);
                }
            }
        }
        return null;
    }

    private boolean validates(long interp) {
        if (interp == 0) {
            return false;
        }
        long ts = pointerAt(interp + interpThreads);
        return ts != 0 && (ts & 7) == 0 && pointerAt(ts + tsInterp) == interp;
    }

    /**
     * A stricter check for scanned candidates: where structs share their first fields (2.7's thread
     * and interpreter states both start with next, then a pointer to the other), a thread state can
     * pass {@link #validates}; only a real interpreter holds the modules dict.
     */
    private boolean holdsModulesDict(long interp) {
        long modules = pointerAt(interp + interpModules);
        if (modules == 0 || (modules & 7) != 0) {
            return false;
        }
        long type = pointerAt(modules + obType);
        long name = type == 0 ? 0 : pointerAt(type + tpName);
        if (name == 0) {
            return false;
        }
        try {
            ByteBuffer text = ByteBuffer.allocate(5);
            memory.read(name, text, 5);
            return text.get(0) == 'd' && text.get(1) == 'i' && text.get(2) == 'c' && text.get(3) == 't' && text.get(4) == 0;
        } catch (MemoryReadException e) {
            return false;
        }
    }

    private boolean isMappedReadable(long address) {
        for (MemoryMapping m : maps) {
            if (address >= m.start() && address < m.end()) {
                return m.readable() && m.writable();
            }
        }
        return false;
    }

    private long pointerAt(long address) {
        try {
            memory.read(address, word, 8);
            return word.getLong(0);
        } catch (MemoryReadException e) {
            return 0;
        }
    }
}

package dev.pyspy.unwind;

import dev.pyspy.PyspyException;
import dev.pyspy.process.ElfFile;
import dev.pyspy.process.MemoryMapping;
import dev.pyspy.process.ProcFs;
import dev.pyspy.process.ProcMaps;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where each ELF file's code is loaded in one process: executable mappings → {@link ModuleFile}
 * and load bias, looked up by address. Files are opened through {@code /proc/PID/root} (containers).
 * Built from {@code /proc/PID/maps}; {@link #refresh} re-reads it when an address falls outside
 * every known module (a library loaded since), at most once per {@link #REFRESH_NANOS}.
 */
public final class ModuleMap {

    static final long REFRESH_NANOS = 100_000_000L;

    /** One loaded file. */
    public record Module(ModuleFile file, long bias, String path) {
        public String name() {
            return file.name();
        }
    }

    private final int pid;
    private long[] starts = new long[0];
    private long[] ends = new long[0];
    private Module[] modules = new Module[0];
    private List<MemoryMapping> mappings = List.of();
    private final Map<String, Module> byPath = new HashMap<>();
    private long lastRefresh;

    public ModuleMap(int pid) throws PyspyException {
        this.pid = pid;
        load();
    }

    /** The module whose code holds runtime address {@code pc}, or null. */
    public Module find(long pc) {
        int i = index(pc);
        return i >= 0 ? modules[i] : null;
    }

    private int index(long pc) {
        int lo = 0;
        int hi = starts.length - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (Long.compareUnsigned(pc, starts[mid]) < 0) {
                hi = mid - 1;
            } else if (Long.compareUnsigned(pc, ends[mid]) >= 0) {
                lo = mid + 1;
            } else {
                return mid;
            }
        }
        return -1;
    }

    /** The end of the mapping holding {@code address} (a thread's stack), or 0. */
    public long mappingEnd(long address) {
        for (MemoryMapping m : mappings) {
            if (m.contains(address)) {
                return m.end();
            }
        }
        return 0;
    }

    /** Re-reads the maps unless that was done very recently; true if it was re-read. */
    public boolean refresh() throws PyspyException {
        if (System.nanoTime() - lastRefresh < REFRESH_NANOS) {
            return false;
        }
        load();
        return true;
    }

    private void load() throws PyspyException {
        lastRefresh = System.nanoTime();
        mappings = ProcMaps.read(pid);
        Map<String, List<MemoryMapping>> byFile = new LinkedHashMap<>();
        for (MemoryMapping m : mappings) {
            if (m.isFile() && !m.isPseudo()) {
                byFile.computeIfAbsent(m.pathname(), k -> new ArrayList<>()).add(m);
            }
        }
        List<long[]> ranges = new ArrayList<>();
        List<Module> owners = new ArrayList<>();
        for (Map.Entry<String, List<MemoryMapping>> e : byFile.entrySet()) {
            List<MemoryMapping> ofFile = e.getValue();
            if (ofFile.stream().noneMatch(MemoryMapping::executable)) {
                continue;
            }
            Module module = module(ofFile);
            if (module == null) {
                continue;
            }
            for (MemoryMapping m : ofFile) {
                if (m.executable()) {
                    ranges.add(new long[] {m.start(), m.end()});
                    owners.add(module);
                }
            }
        }
        Integer[] order = new Integer[ranges.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, (a, b) -> Long.compareUnsigned(ranges.get(a)[0], ranges.get(b)[0]));
        long[] s = new long[order.length];
        long[] en = new long[order.length];
        Module[] mods = new Module[order.length];
        for (int i = 0; i < order.length; i++) {
            s[i] = ranges.get(order[i])[0];
            en[i] = ranges.get(order[i])[1];
            mods[i] = owners.get(order[i]);
        }
        starts = s;
        ends = en;
        modules = mods;
    }

    private Module module(List<MemoryMapping> ofFile) {
        MemoryMapping first = ofFile.get(0);
        String key = first.pathname() + "@" + Long.toHexString(first.start());
        Module known = byPath.get(key);
        if (known != null) {
            return known;
        }
        try {
            Path file = ProcFs.openableFile(pid, first);
            ElfFile elf = ElfFile.open(file);
            if (elf.machine() != ElfFile.EM_X86_64) {
                return null;
            }
            Module m = new Module(ModuleFile.of(elf, file, first.fileName()), elf.loadBias(ofFile), first.path());
            byPath.put(key, m);
            return m;
        } catch (PyspyException e) {
            return null; // a file that cannot be read (vdso-like, gone): its frames stay unnamed
        }
    }

    public int pid() {
        return pid;
    }
}

package dev.pyspy.unwind;

import java.util.HashMap;
import java.util.Map;

/**
 * Names native frames of one process: address → {@link NativeSymbol}, cached by address (a
 * process's code addresses repeat from sample to sample, so naming happens once per address).
 */
public final class NativeSymbolizer {

    private static final int MAX_CACHED = 1 << 16;

    private final ModuleMap modules;
    private final Map<Long, NativeSymbol> cache = new HashMap<>();

    public NativeSymbolizer(ModuleMap modules) {
        this.modules = modules;
    }

    public NativeSymbol symbol(long address) {
        NativeSymbol s = cache.get(address);
        if (s == null) {
            s = lookup(address);
            if (cache.size() >= MAX_CACHED) {
                cache.clear();
            }
            cache.put(address, s);
        }
        return s;
    }

    private NativeSymbol lookup(long address) {
        ModuleMap.Module m = modules.find(address);
        if (m == null) {
            return new NativeSymbol(null, null, null, address);
        }
        long rel = address - m.bias();
        SymbolTable symbols = m.file().symbols();
        int i = symbols.find(rel);
        if (i < 0) {
            // no symbol (a static function of a stripped library): named by where its code starts,
            // so that every address in one function is one frame
            return new NativeSymbol(null, m.name(), m.path(), functionStart(m.file(), rel));
        }
        return new NativeSymbol(Demangler.demangle(symbols.name(i)), m.name(), m.path(), rel);
    }

    /**
     * The source file and line of {@code address} (a lookup address: callers' return address - 1)
     * from its file's line table, or null where there is none. Not cached: ask once per address.
     */
    public SourceLine sourceLine(long address) {
        ModuleMap.Module m = modules.find(address);
        if (m == null) {
            return null;
        }
        SourceLines lines = m.file().sourceLines();
        return lines == null ? null : lines.find(address - m.bias());
    }

    /** The start of the CFI entry (a function, or a part gcc split off one) holding {@code rel}, else {@code rel}. */
    private static long functionStart(ModuleFile file, long rel) {
        for (CfiTable t : new CfiTable[] {file.ehFrame(), file.debugFrame()}) {
            int fde = t == null ? -1 : t.find(rel);
            if (fde >= 0) {
                return t.start(fde);
            }
        }
        return rel;
    }
}

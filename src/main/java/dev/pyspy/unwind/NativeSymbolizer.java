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
        String function = i < 0 ? null : Demangler.demangle(symbols.name(i));
        return new NativeSymbol(function, m.name(), m.path(), rel);
    }
}

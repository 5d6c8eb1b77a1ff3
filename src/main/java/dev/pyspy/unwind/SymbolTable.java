package dev.pyspy.unwind;

import dev.pyspy.process.ElfFile;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The function symbols of one file (and of its separate debug file, when there is one), sorted by
 * address, to name a code address: the symbol whose range holds it, else none. Immutable.
 */
public final class SymbolTable {

    private final long[] starts;
    private final long[] ends;
    private final String[] names;

    private SymbolTable(long[] starts, long[] ends, String[] names) {
        this.starts = starts;
        this.ends = ends;
        this.names = names;
    }

    public static SymbolTable of(List<ElfFile.Symbol> symbols) {
        List<ElfFile.Symbol> sorted = new ArrayList<>(symbols);
        // sized symbols first among equals: they say where a function ends
        sorted.sort(Comparator.comparingLong(ElfFile.Symbol::value)
                .thenComparing(s -> s.size() == 0)
                .thenComparing(s -> s.binding() != 1)); // global names over local aliases
        List<ElfFile.Symbol> unique = new ArrayList<>();
        for (ElfFile.Symbol s : sorted) {
            if (unique.isEmpty() || unique.get(unique.size() - 1).value() != s.value()) {
                unique.add(s);
            }
        }
        int n = unique.size();
        long[] starts = new long[n];
        long[] ends = new long[n];
        String[] names = new String[n];
        for (int i = 0; i < n; i++) {
            ElfFile.Symbol s = unique.get(i);
            starts[i] = s.value();
            long next = i + 1 < n ? unique.get(i + 1).value() : Long.MAX_VALUE;
            // an unsized symbol (hand-written assembly) reaches to the next one
            ends[i] = s.size() > 0 ? s.value() + s.size() : next;
            names[i] = s.name();
        }
        return new SymbolTable(starts, ends, names);
    }

    /** The index of the symbol holding link-time address {@code address}, or -1. */
    public int find(long address) {
        int lo = 0;
        int hi = starts.length - 1;
        int found = -1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (starts[mid] <= address) {
                found = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return found >= 0 && address < ends[found] ? found : -1;
    }

    public String name(int index) {
        return names[index];
    }

    public long start(int index) {
        return starts[index];
    }

    /** The address of the symbol {@code name}, or -1 (for the few the frame merge looks for). */
    public long address(String name) {
        for (int i = 0; i < names.length; i++) {
            if (names[i].equals(name)) {
                return starts[i];
            }
        }
        return -1;
    }

    public int size() {
        return names.length;
    }
}

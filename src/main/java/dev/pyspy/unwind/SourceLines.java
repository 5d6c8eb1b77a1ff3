package dev.pyspy.unwind;

import dev.pyspy.PyspyException;
import dev.pyspy.process.ElfFile;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The line table ({@code .debug_line}) of one file: link-time address → source file and line.
 * Built once per file, on first need, as an index of its sequences (each a run of contiguous code
 * with its own address range, usually one function or one compilation unit's text) kept sorted by
 * address; a lookup redoes the one sequence that holds the address, so no row is stored. Immutable;
 * threads may share it.
 */
public final class SourceLines {

    private final LineProgram[] units;
    private final long[] lows;
    private final long[] highs;
    /** Per sequence: its unit and where its opcodes begin. */
    private final int[] unitOf;
    private final int[] starts;

    private SourceLines(LineProgram[] units, long[] lows, long[] highs, int[] unitOf, int[] starts) {
        this.units = units;
        this.lows = lows;
        this.highs = highs;
        this.unitOf = unitOf;
        this.starts = starts;
    }

    /** The line table of {@code elf}, or null when it has none (or none this can read). */
    public static SourceLines of(ElfFile elf) throws PyspyException {
        Optional<ElfFile.Section> line = elf.section(".debug_line");
        if (line.isEmpty() || !line.get().hasFileData() || line.get().size() == 0) {
            return null;
        }
        return parse(elf.uncompressedSectionData(line.get()), section(elf, ".debug_line_str"),
                section(elf, ".debug_str"));
    }

    private static ByteBuffer section(ElfFile elf, String name) throws PyspyException {
        Optional<ElfFile.Section> s = elf.section(name);
        return s.isPresent() ? elf.uncompressedSectionData(s.get()) : ByteBuffer.allocate(0);
    }

    /** Indexes every unit of a {@code .debug_line} section; a malformed unit ends the index there (what came before stays). */
    static SourceLines parse(ByteBuffer debugLine, ByteBuffer lineStrings, ByteBuffer strings) {
        List<LineProgram> units = new ArrayList<>();
        Sequences found = new Sequences();
        int offset = 0;
        while (offset < debugLine.capacity()) {
            try {
                LineProgram unit = LineProgram.parse(debugLine, offset, lineStrings, strings);
                found.unit = units.size();
                found.low = -1;
                unit.run(unit.programStart(), found);
                units.add(unit);
                offset = unit.end;
            } catch (CfiException e) {
                break;
            }
        }
        Integer[] order = new Integer[found.size];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Long.compareUnsigned(found.lows[a], found.lows[b]));
        long[] lows = new long[order.length];
        long[] highs = new long[order.length];
        int[] unitOf = new int[order.length];
        int[] starts = new int[order.length];
        for (int i = 0; i < order.length; i++) {
            lows[i] = found.lows[order[i]];
            highs[i] = found.highs[order[i]];
            unitOf[i] = found.units[order[i]];
            starts[i] = found.starts[order[i]];
        }
        return new SourceLines(units.toArray(new LineProgram[0]), lows, highs, unitOf, starts);
    }

    /** Collects each sequence's address range while a unit runs. */
    private static final class Sequences implements LineProgram.Rows {
        long[] lows = new long[256];
        long[] highs = new long[256];
        int[] units = new int[256];
        int[] starts = new int[256];
        int size;
        int unit;
        long low = -1;

        @Override
        public boolean row(long address, int file, int line, boolean isStmt, int discriminator, boolean endSequence,
                int sequenceStart) {
            if (low == -1) {
                low = address;
            }
            if (endSequence) {
                // a sequence at 0 is code the linker dropped (an unused function kept in the table)
                if (low != 0 && Long.compareUnsigned(address, low) > 0) {
                    add(low, address, sequenceStart);
                }
                low = -1;
            }
            return true;
        }

        private void add(long from, long to, int start) {
            if (size == lows.length) {
                lows = Arrays.copyOf(lows, size * 2);
                highs = Arrays.copyOf(highs, size * 2);
                units = Arrays.copyOf(units, size * 2);
                starts = Arrays.copyOf(starts, size * 2);
            }
            lows[size] = from;
            highs[size] = to;
            units[size] = unit;
            starts[size] = start;
            size++;
        }
    }

    /** The number of sequences indexed. */
    public int sequences() {
        return lows.length;
    }

    /** The file and line of link-time address {@code address}, or null where the table has none (or says line 0: no source line). */
    public SourceLine find(long address) {
        int i = lastStartingAtOrBefore(address);
        // sequences do not overlap in a linked file; a few steps back cover one that does
        for (int j = i; j >= 0 && j > i - 4; j--) {
            if (Long.compareUnsigned(address, highs[j]) < 0) {
                Lookup lookup = new Lookup(address);
                try {
                    units[unitOf[j]].run(starts[j], lookup);
                } catch (CfiException e) {
                    return null;
                }
                if (lookup.found) {
                    String path = units[unitOf[j]].file(lookup.answerFile());
                    return path == null ? null : new SourceLine(path, lookup.answerLine());
                }
                return null;
            }
        }
        return null;
    }

    private int lastStartingAtOrBefore(long address) {
        int lo = 0;
        int hi = lows.length - 1;
        int found = -1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (Long.compareUnsigned(lows[mid], address) <= 0) {
                found = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return found;
    }

    /**
     * Finds the row that covers an address in one sequence as gdb's line table has it (what a
     * debugger user sees), which leaves out some rows: those of line 0; a repeat of the line just
     * seen once that line had a discriminator; a row that switches file at an address that already
     * has a statement row, without being one itself; and, when the file switches, the earlier rows
     * at that address. The answer is the last row kept at or before the address, or, if that one is
     * not a statement, the statement row kept at the same address before it.
     */
    private static final class Lookup implements LineProgram.Rows {
        private final long target;
        boolean found;
        private long rowAddress;
        private int file;
        private int line;
        private boolean isStmt;
        /** A statement row kept at {@link #rowAddress}, which a non-statement answer backs up to. */
        private boolean backup;
        private int backupFile;
        private int backupLine;
        // what each row is compared with: the last row not left out, and the address's statement flag
        private boolean seen;
        private long lastAddress;
        private int lastFile;
        private int lastLine;
        private boolean lineHadDiscriminator;
        private long address = -1;
        private boolean stmtAtAddress;

        Lookup(long target) {
            this.target = target;
        }

        @Override
        public boolean row(long address, int file, int line, boolean isStmt, int discriminator, boolean endSequence,
                int sequenceStart) {
            if (endSequence || Long.compareUnsigned(address, target) > 0) {
                return false; // rows of a sequence go up in address: the answer is known
            }
            if (address != this.address) {
                this.address = address;
                stmtAtAddress = false;
            }
            boolean fileChanged = seen && file != lastFile;
            lineHadDiscriminator = (seen && !fileChanged && line == lastLine && lineHadDiscriminator)
                    || discriminator != 0;
            boolean leftOut = line == 0 || (fileChanged && address == lastAddress && !isStmt && stmtAtAddress);
            stmtAtAddress |= isStmt;
            if (leftOut) {
                return true;
            }
            boolean repeat = seen && !fileChanged && line == lastLine && lineHadDiscriminator;
            seen = true;
            lastAddress = address;
            lastFile = file;
            lastLine = line;
            if (repeat) {
                return true;
            }
            if (!found || address != rowAddress || fileChanged) {
                backup = false;
            }
            found = true;
            rowAddress = address;
            this.file = file;
            this.line = line;
            this.isStmt = isStmt;
            if (isStmt) {
                backup = true;
                backupFile = file;
                backupLine = line;
            }
            return true;
        }

        int answerFile() {
            return !isStmt && backup ? backupFile : file;
        }

        int answerLine() {
            return !isStmt && backup ? backupLine : line;
        }
    }
}

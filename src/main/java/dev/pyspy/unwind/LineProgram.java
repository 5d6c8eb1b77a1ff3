package dev.pyspy.unwind;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One unit of a {@code .debug_line} section (DWARF 2 to 5): its header (the opcode parameters and
 * the file table) and its line-number program, run as DWARF's state machine (DWARF 5, section 6.2).
 * Rows are handed to a {@link Rows} as they come; nothing is kept between runs, so the caller
 * chooses what to store. Immutable once parsed; a run has its own cursor, so threads may share it.
 * Malformed input throws {@link CfiException}.
 */
final class LineProgram {

    /** What a run hands each row to. */
    interface Rows {
        /**
         * A row of the line table: {@code file} is the file register (see {@link #file}); the row that
         * ends a sequence has {@code endSequence} set and only its address counts (the sequence's end).
         * {@code discriminator} tells apart blocks of one line (0: none). {@code sequenceStart} is where
         * the opcodes of the row's sequence begin, from which a later run can redo that sequence alone.
         * Returns false to stop the run.
         */
        boolean row(long address, int file, int line, boolean isStmt, int discriminator, boolean endSequence,
                int sequenceStart);
    }

    // standard opcodes
    private static final int DW_LNS_COPY = 1;
    private static final int DW_LNS_ADVANCE_PC = 2;
    private static final int DW_LNS_ADVANCE_LINE = 3;
    private static final int DW_LNS_SET_FILE = 4;
    private static final int DW_LNS_NEGATE_STMT = 6;
    private static final int DW_LNS_CONST_ADD_PC = 8;
    private static final int DW_LNS_FIXED_ADVANCE_PC = 9;
    // extended opcodes
    private static final int DW_LNE_END_SEQUENCE = 1;
    private static final int DW_LNE_SET_ADDRESS = 2;
    private static final int DW_LNE_SET_DISCRIMINATOR = 4;
    // DWARF 5 entry formats: content types and attribute forms
    private static final int DW_LNCT_PATH = 1;
    private static final int DW_LNCT_DIRECTORY_INDEX = 2;
    private static final int DW_FORM_BLOCK2 = 0x03;
    private static final int DW_FORM_BLOCK4 = 0x04;
    private static final int DW_FORM_DATA2 = 0x05;
    private static final int DW_FORM_DATA4 = 0x06;
    private static final int DW_FORM_DATA8 = 0x07;
    private static final int DW_FORM_STRING = 0x08;
    private static final int DW_FORM_BLOCK = 0x09;
    private static final int DW_FORM_BLOCK1 = 0x0a;
    private static final int DW_FORM_DATA1 = 0x0b;
    private static final int DW_FORM_SDATA = 0x0d;
    private static final int DW_FORM_STRP = 0x0e;
    private static final int DW_FORM_UDATA = 0x0f;
    private static final int DW_FORM_SEC_OFFSET = 0x17;
    private static final int DW_FORM_STRX = 0x1a;
    private static final int DW_FORM_DATA16 = 0x1e;
    private static final int DW_FORM_LINE_STRP = 0x1f;
    private static final int DW_FORM_STRX1 = 0x25;
    private static final int DW_FORM_STRX4 = 0x28;

    /** Offset of the unit's first byte in the section, and of the byte after it. */
    final int offset;
    final int end;
    final int version;
    private final int programStart;
    private final int minInstructionLength;
    private final boolean defaultIsStmt;
    private final int lineBase;
    private final int lineRange;
    private final int opcodeBase;
    private final int[] standardLengths;
    /** By file register value; null where no file is (register 0 before DWARF 5). */
    private final String[] files;
    private final ByteBuffer section;

    private LineProgram(ByteBuffer section, int offset, int end, int version, int programStart, int minInstructionLength,
            boolean defaultIsStmt, int lineBase, int lineRange, int opcodeBase, int[] standardLengths, String[] files) {
        this.section = section;
        this.offset = offset;
        this.end = end;
        this.version = version;
        this.programStart = programStart;
        this.minInstructionLength = minInstructionLength;
        this.defaultIsStmt = defaultIsStmt;
        this.lineBase = lineBase;
        this.lineRange = lineRange;
        this.opcodeBase = opcodeBase;
        this.standardLengths = standardLengths;
        this.files = files;
    }

    /**
     * The unit at {@code offset} of {@code section}; {@code lineStrings} and {@code strings} are
     * {@code .debug_line_str} and {@code .debug_str} (either may be empty), which DWARF 5 file tables
     * point into.
     */
    static LineProgram parse(ByteBuffer section, int offset, ByteBuffer lineStrings, ByteBuffer strings) {
        DwarfCursor c = new DwarfCursor(section, 0);
        c.seek(offset, section.capacity());
        long length = c.u32();
        boolean dwarf64 = length == 0xffffffffL;
        if (dwarf64) {
            length = c.u64();
        }
        if (length < 0 || length > c.limit() - c.position()) {
            throw new CfiException("line unit at " + offset + " runs past the section");
        }
        int end = c.position() + (int) length;
        c.seek(c.position(), end);
        int version = c.u16();
        if (version < 2 || version > 5) {
            throw new CfiException("line table version " + version + " at " + offset);
        }
        if (version >= 5) {
            c.u8(); // address size: set_address says it again
            c.u8(); // segment selector size
        }
        long headerLength = dwarf64 ? c.u64() : c.u32();
        if (headerLength < 0 || headerLength > end - c.position()) {
            throw new CfiException("line header at " + offset + " runs past its unit");
        }
        int programStart = c.position() + (int) headerLength;
        int minInstructionLength = c.u8();
        if (version >= 4) {
            c.u8(); // maximum operations per instruction: 1 on every target this reads
        }
        boolean defaultIsStmt = c.u8() != 0;
        int lineBase = (byte) c.u8();
        int lineRange = c.u8();
        int opcodeBase = c.u8();
        if (lineRange == 0 || opcodeBase == 0) {
            throw new CfiException("line header at " + offset + ": line range " + lineRange + ", opcode base " + opcodeBase);
        }
        int[] standardLengths = new int[opcodeBase - 1];
        for (int i = 0; i < standardLengths.length; i++) {
            standardLengths[i] = c.u8();
        }
        String[] files = version >= 5
                ? filesV5(c, dwarf64, lineStrings, strings)
                : filesV4(c);
        return new LineProgram(section, offset, end, version, programStart, minInstructionLength, defaultIsStmt,
                lineBase, lineRange, opcodeBase, standardLengths, files);
    }

    /** Up to DWARF 4: include directories (1-based; 0 is the compilation directory, not named here), then files (1-based). */
    private static String[] filesV4(DwarfCursor c) {
        List<String> dirs = new ArrayList<>();
        dirs.add(null);
        for (String d = string(c); !d.isEmpty(); d = string(c)) {
            dirs.add(d);
        }
        List<String> files = new ArrayList<>();
        files.add(null);
        for (String f = string(c); !f.isEmpty(); f = string(c)) {
            long dir = c.uleb();
            c.uleb(); // modification time
            c.uleb(); // length
            files.add(join(dir < dirs.size() ? dirs.get((int) dir) : null, f));
        }
        return files.toArray(new String[0]);
    }

    /** DWARF 5: directories then files, each a list of entries described by (content type, form) pairs; 0-based, directory 0 the compilation directory. */
    private static String[] filesV5(DwarfCursor c, boolean dwarf64, ByteBuffer lineStrings, ByteBuffer strings) {
        Entries dirEntries = entries(c, dwarf64, lineStrings, strings);
        String[] dirs = new String[dirEntries.paths.length];
        for (int i = 0; i < dirs.length; i++) {
            String d = dirEntries.paths[i];
            // a relative directory is relative to the compilation directory (entry 0)
            dirs[i] = i > 0 && d != null && !d.startsWith("/") ? join(dirs[0], d) : d;
        }
        Entries fileEntries = entries(c, dwarf64, lineStrings, strings);
        String[] files = new String[fileEntries.paths.length];
        for (int i = 0; i < files.length; i++) {
            String name = fileEntries.paths[i];
            long dir = fileEntries.directories[i];
            files[i] = name == null ? null : join(dir >= 0 && dir < dirs.length ? dirs[(int) dir] : null, name);
        }
        return files;
    }

    /** One DWARF 5 entry list: per entry its path (null if it has none this can read) and its directory index. */
    private record Entries(String[] paths, long[] directories) {
    }

    private static Entries entries(DwarfCursor c, boolean dwarf64, ByteBuffer lineStrings, ByteBuffer strings) {
        int formatCount = c.u8();
        long[] types = new long[formatCount];
        int[] forms = new int[formatCount];
        for (int i = 0; i < formatCount; i++) {
            types[i] = c.uleb();
            forms[i] = (int) c.uleb();
        }
        long count = c.uleb();
        if (count < 0 || count > c.limit() - c.position()) { // every entry takes a byte at least
            throw new CfiException("line header lists " + count + " entries");
        }
        Entries out = new Entries(new String[(int) count], new long[(int) count]);
        for (int e = 0; e < count; e++) {
            for (int i = 0; i < formatCount; i++) {
                if (types[i] == DW_LNCT_PATH) {
                    out.paths[e] = formString(c, forms[i], dwarf64, lineStrings, strings);
                } else if (types[i] == DW_LNCT_DIRECTORY_INDEX) {
                    out.directories[e] = formNumber(c, forms[i], dwarf64);
                } else {
                    formNumber(c, forms[i], dwarf64); // timestamp, size, MD5: skipped
                }
            }
        }
        return out;
    }

    private static String formString(DwarfCursor c, int form, boolean dwarf64, ByteBuffer lineStrings, ByteBuffer strings) {
        return switch (form) {
            case DW_FORM_STRING -> string(c);
            case DW_FORM_LINE_STRP -> stringAt(lineStrings, dwarf64 ? c.u64() : c.u32());
            case DW_FORM_STRP -> stringAt(strings, dwarf64 ? c.u64() : c.u32());
            default -> {
                formNumber(c, form, dwarf64); // an index into .debug_str_offsets: needs the unit's DIE
                yield null;
            }
        };
    }

    /** Reads a value of {@code form}: numbers are returned, other data skipped (returning 0). */
    private static long formNumber(DwarfCursor c, int form, boolean dwarf64) {
        switch (form) {
            case DW_FORM_DATA1, DW_FORM_STRX1:
                return c.u8();
            case DW_FORM_DATA2, DW_FORM_STRX1 + 1:
                return c.u16();
            case DW_FORM_STRX1 + 2:
                return c.u16() | (long) c.u8() << 16;
            case DW_FORM_DATA4, DW_FORM_STRX4:
                return c.u32();
            case DW_FORM_DATA8:
                return c.u64();
            case DW_FORM_UDATA, DW_FORM_STRX:
                return c.uleb();
            case DW_FORM_SDATA:
                return c.sleb();
            case DW_FORM_STRP, DW_FORM_LINE_STRP, DW_FORM_SEC_OFFSET:
                return dwarf64 ? c.u64() : c.u32();
            case DW_FORM_DATA16:
                c.skip(16);
                return 0;
            case DW_FORM_STRING:
                string(c);
                return 0;
            case DW_FORM_BLOCK:
                c.skip(c.uleb());
                return 0;
            case DW_FORM_BLOCK1:
                c.skip(c.u8());
                return 0;
            case DW_FORM_BLOCK2:
                c.skip(c.u16());
                return 0;
            case DW_FORM_BLOCK4:
                c.skip(c.u32());
                return 0;
            default:
                throw new CfiException("form 0x" + Integer.toHexString(form) + " in a line header");
        }
    }

    private static String string(DwarfCursor c) {
        int start = c.position();
        while (c.u8() != 0) {
            // to the terminating NUL
        }
        return c.text(start, c.position() - 1 - start);
    }

    private static String stringAt(ByteBuffer strings, long at) {
        if (at < 0 || at >= strings.capacity()) {
            return null;
        }
        int e = (int) at;
        while (e < strings.capacity() && strings.get(e) != 0) {
            e++;
        }
        byte[] bytes = new byte[e - (int) at];
        strings.get((int) at, bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private static String join(String dir, String name) {
        if (name.startsWith("/") || dir == null || dir.isEmpty()) {
            return name;
        }
        return Path.of(dir, name).normalize().toString();
    }

    /** The path of file register value {@code file} (absolute when the table says where it is), or null. */
    String file(int file) {
        return file >= 0 && file < files.length ? files[file] : null;
    }

    /** Where the unit's program begins: a whole run starts there. */
    int programStart() {
        return programStart;
    }

    /** Runs the program from {@code from} (its start, or a sequence's start) to the unit's end, or until {@code rows} says stop. */
    void run(int from, Rows rows) {
        DwarfCursor c = new DwarfCursor(section, 0);
        c.seek(from, end);
        int sequenceStart = from;
        long address = 0;
        int file = 1;
        int line = 1;
        boolean isStmt = defaultIsStmt;
        int discriminator = 0;
        while (c.hasMore()) {
            int op = c.u8();
            if (op >= opcodeBase) {
                int adjusted = op - opcodeBase;
                address += (long) (adjusted / lineRange) * minInstructionLength;
                line += lineBase + adjusted % lineRange;
                if (!rows.row(address, file, line, isStmt, discriminator, false, sequenceStart)) {
                    return;
                }
                discriminator = 0;
            } else if (op == 0) {
                long length = c.uleb();
                int at = c.position();
                if (length == 0 || length > end - at) {
                    throw new CfiException("extended opcode of " + length + " bytes at " + at);
                }
                int sub = c.u8();
                if (sub == DW_LNE_END_SEQUENCE) {
                    if (!rows.row(address, file, line, isStmt, discriminator, true, sequenceStart)) {
                        return;
                    }
                    discriminator = 0;
                    address = 0;
                    file = 1;
                    line = 1;
                    isStmt = defaultIsStmt;
                    sequenceStart = at + (int) length;
                } else if (sub == DW_LNE_SET_ADDRESS) {
                    address = length - 1 == 4 ? c.u32() : c.u64();
                } else if (sub == DW_LNE_SET_DISCRIMINATOR) {
                    discriminator = (int) c.uleb();
                }
                // define_file, vendor ones: nothing a line lookup needs
                c.seek(at + (int) length, end);
            } else {
                switch (op) {
                    case DW_LNS_COPY -> {
                        if (!rows.row(address, file, line, isStmt, discriminator, false, sequenceStart)) {
                            return;
                        }
                        discriminator = 0;
                    }
                    case DW_LNS_ADVANCE_PC -> address += c.uleb() * minInstructionLength;
                    case DW_LNS_ADVANCE_LINE -> line += (int) c.sleb();
                    case DW_LNS_SET_FILE -> file = (int) c.uleb();
                    case DW_LNS_NEGATE_STMT -> isStmt = !isStmt;
                    case DW_LNS_CONST_ADD_PC -> address += (long) ((255 - opcodeBase) / lineRange) * minInstructionLength;
                    case DW_LNS_FIXED_ADVANCE_PC -> address += c.u16();
                    default -> {
                        // column, basic block, prologue and epilogue marks, ISA, opcodes this does not
                        // know: skipped by the argument counts the header gives
                        for (int i = 0; i < standardLengths[op - 1]; i++) {
                            c.uleb();
                        }
                    }
                }
            }
        }
    }
}

package dev.pyspy.python;

/**
 * What the profiler needs of one code object, decoded once and cached by address.
 *
 * @param id         small number unique within one process's cache, for cheap interning
 * @param address    where the code object lives in the target
 * @param name       function name: {@code co_qualname} on 3.11+, {@code co_name} before
 * @param filename   {@code co_filename} as the interpreter holds it
 * @param shortFilename path from the top-level package
 * @param firstLine  {@code co_firstlineno}
 * @param lineTable  {@code co_lnotab} / {@code co_linetable} bytes
 * @param lineFormat how to decode {@code lineTable}
 * @param column     {@code --opcodes}: the instruction's first column, 1-based (0: none or not shown)
 * @param instruction {@code --opcodes}: the instruction's opcode name ({@code LOAD_ATTR},
 *                   {@code LOAD_ATTR_INSTANCE_VALUE [LOAD_ATTR]}); null for a code object as such
 */
public record CodeInfo(int id, long address, String name, String filename, String shortFilename, int firstLine,
                       byte[] lineTable, LineFormat lineFormat, int[] lineMemo, int column, String instruction) {

    /** Slots in the per-code memo of recent (instruction → line) answers. */
    static final int MEMO_SLOTS = 8;

    public CodeInfo(int id, long address, String name, String filename, String shortFilename, int firstLine,
                    byte[] lineTable, LineFormat lineFormat) {
        this(id, address, name, filename, shortFilename, firstLine, lineTable, lineFormat, newMemo(), 0, null);
    }

    /** This code at one instruction ({@code --opcodes}): the same function, file and line table, numbered {@code id}. */
    public CodeInfo atInstruction(int id, int column, String instruction) {
        return new CodeInfo(id, address, name, filename, shortFilename, firstLine, lineTable, lineFormat, newMemo(),
                column, instruction);
    }

    private static int[] newMemo() {
        int[] memo = new int[MEMO_SLOTS * 2];
        for (int i = 0; i < memo.length; i += 2) {
            memo[i] = Integer.MIN_VALUE;
            memo[i + 1] = -1;
        }
        return memo;
    }

    public enum LineFormat {
        /** 2.7: co_lnotab with unsigned line increments; offsets in bytes. */
        LNOTAB_27,
        /** 3.6-3.9: co_lnotab with signed line increments; offsets in bytes. */
        LNOTAB,
        /** 3.10: co_linetable; f_lasti counts 2-byte code units. */
        LINETABLE_310,
        /** 3.11+: location table; the frame gives a code unit index. */
        LOCATION_TABLE
    }

    /**
     * The line executing at {@code instruction}: f_lasti as the frame holds it (≤3.10), or the
     * instruction's index in code units (3.11+). 0 when the instruction has no line.
     */
    public int lineAt(int instruction) {
        // Most frames of a stack sit at the same instruction sample after sample: remember answers
        // (direct-mapped; a racy overwrite only costs a recomputation).
        int slot = (instruction & (MEMO_SLOTS - 1)) * 2;
        // an empty slot holds (MIN_VALUE, -1): answers are never negative, so it cannot pass for one
        int memo = lineMemo[slot + 1];
        if (lineMemo[slot] == instruction && memo >= 0) {
            return memo;
        }
        int line = computeLine(instruction);
        lineMemo[slot + 1] = line;
        lineMemo[slot] = instruction;
        return line;
    }

    private int computeLine(int instruction) {
        int line = switch (lineFormat) {
            case LNOTAB_27 -> LineTable.lnotabLine27(lineTable, firstLine, instruction);
            case LNOTAB -> LineTable.lnotabLine(lineTable, firstLine, instruction);
            case LINETABLE_310 -> instruction < 0 ? firstLine
                    : LineTable.linetable310Line(lineTable, firstLine, instruction * 2);
            case LOCATION_TABLE -> LineTable.locationTableLine(lineTable, firstLine, instruction);
        };
        return Math.max(line, 0); // instructions without a line (cleanup code) show none
    }
}

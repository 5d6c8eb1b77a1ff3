package dev.pyspy.top;

/**
 * One row of the table: a function (line 0) or one line of a function, with its sample counts.
 * "Now" counts cover the last refresh interval, "all" counts everything since start or reset.
 * Own counts samples where it was the innermost frame, total samples where it was anywhere on the
 * stack (once per sample, however often recursion put it there).
 *
 * @param name        function name
 * @param file        file name as shown (short or full)
 * @param line        line number, or 0 for a per-function row
 * @param column      {@code --opcodes}: the instruction's first column (1-based) in a per-line row, else 0
 * @param instruction {@code --opcodes}: the opcode executed ({@code BINARY_SUBSCR_DICT [BINARY_SUBSCR]}),
 *                    else null
 */
public record FrameRow(String name, String file, int line, int column, String instruction, long ownNow,
                       long totalNow, long ownAll, long totalAll) {

    public FrameRow(String name, String file, int line, long ownNow, long totalNow, long ownAll, long totalAll) {
        this(name, file, line, 0, null, ownNow, totalNow, ownAll, totalAll);
    }

    /**
     * {@code name (file:line)}, or {@code name (file)} for a per-function row; the name alone without a
     * file; with {@code --opcodes}, {@code name (file:line:column) OPCODE}.
     */
    public String label() {
        if (file.isEmpty()) {
            return name;
        }
        String where = line <= 0 ? file : column > 0 ? file + ":" + line + ":" + column : file + ":" + line;
        return instruction == null ? name + " (" + where + ")" : name + " (" + where + ") " + instruction;
    }
}

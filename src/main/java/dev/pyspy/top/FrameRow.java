package dev.pyspy.top;

/**
 * One row of the table: a function (line 0) or one line of a function, with its sample counts.
 * "Now" counts cover the last refresh interval, "all" counts everything since start or reset.
 * Own counts samples where it was the innermost frame, total samples where it was anywhere on the
 * stack (once per sample, however often recursion put it there).
 *
 * @param name     function name
 * @param file     file name as shown (short or full)
 * @param line     line number, or 0 for a per-function row
 */
public record FrameRow(String name, String file, int line, long ownNow, long totalNow, long ownAll, long totalAll) {

    /** {@code name (file:line)}, or {@code name (file)} for a per-function row; the name alone without a file. */
    public String label() {
        if (file.isEmpty()) {
            return name;
        }
        return line > 0 ? name + " (" + file + ":" + line + ")" : name + " (" + file + ")";
    }
}

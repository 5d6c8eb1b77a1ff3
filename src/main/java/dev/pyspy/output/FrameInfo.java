package dev.pyspy.output;

/**
 * A frame as it appears in a profile: interned once, referred to by id.
 *
 * @param name      function name, or the whole label of a synthetic frame
 * @param filename  file as it should be printed (short or full), null for synthetic frames
 * @param line      line number, 0 when line numbers are dropped or unknown
 * @param firstLine first line of the function, 0 when unknown
 * @param path      the file's full path as the interpreter knows it, whatever {@code filename} shows
 *                  (categories, pprof and the heatmap need it); null for synthetic frames
 * @param column    {@code --opcodes}: the instruction's first column (1-based), 0 when none is shown
 * @param instruction {@code --opcodes}: the opcode executed ({@code LOAD_ATTR_INSTANCE_VALUE [LOAD_ATTR]}),
 *                  null for a frame labelled by line
 */
public record FrameInfo(String name, String filename, int line, int firstLine, String path, int column,
                        String instruction) {

    public FrameInfo(String name, String filename, int line, int firstLine, String path) {
        this(name, filename, line, firstLine, path, 0, null);
    }

    /** A frame whose printed file name is all that is known of its path (read back from collapsed stacks). */
    public FrameInfo(String name, String filename, int line, int firstLine) {
        this(name, filename, line, firstLine, filename);
    }

    // Written out: see ProfileThread.
    @Override
    public boolean equals(Object o) {
        return o instanceof FrameInfo f && f.line == line && f.firstLine == firstLine && f.name.equals(name)
                && java.util.Objects.equals(f.filename, filename) && java.util.Objects.equals(f.path, path)
                && f.column == column && java.util.Objects.equals(f.instruction, instruction);
    }

    @Override
    public int hashCode() {
        return (((name.hashCode() * 31 + java.util.Objects.hashCode(filename)) * 31 + line) * 31 + firstLine) * 31
                + java.util.Objects.hashCode(instruction) + column;
    }

    /** A frame that is not Python code: a thread or process root added by {@code -t} / {@code -s}. */
    public static FrameInfo synthetic(String label) {
        return new FrameInfo(label, null, 0, 0);
    }

    /**
     * The function's own name, as py-spy labels it: the last part of a qualified name
     * ({@code Thread.run} → {@code run}, {@code f.<locals>.<listcomp>} → {@code <listcomp>}).
     */
    public static String plainName(String qualified) {
        return qualified.substring(qualified.lastIndexOf('.') + 1);
    }

    public FrameInfo withName(String newName) {
        return new FrameInfo(newName, filename, line, firstLine, path, column, instruction);
    }

    public boolean isSynthetic() {
        return filename == null;
    }

    /**
     * py-spy's label: {@code function (file:line)}, {@code function (file)} without a line; with
     * {@code --opcodes}, {@code function (file:line:column) OPCODE}.
     */
    public String label() {
        if (filename == null) {
            return name;
        }
        String where = line <= 0 ? filename : column > 0 ? filename + ":" + line + ":" + column : filename + ":" + line;
        return instruction == null ? name + " (" + where + ")" : name + " (" + where + ") " + instruction;
    }
}

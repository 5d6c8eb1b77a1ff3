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
 */
public record FrameInfo(String name, String filename, int line, int firstLine, String path) {

    /** A frame whose printed file name is all that is known of its path (read back from collapsed stacks). */
    public FrameInfo(String name, String filename, int line, int firstLine) {
        this(name, filename, line, firstLine, filename);
    }

    // Written out: see ProfileThread.
    @Override
    public boolean equals(Object o) {
        return o instanceof FrameInfo f && f.line == line && f.firstLine == firstLine && f.name.equals(name)
                && java.util.Objects.equals(f.filename, filename) && java.util.Objects.equals(f.path, path);
    }

    @Override
    public int hashCode() {
        return ((name.hashCode() * 31 + java.util.Objects.hashCode(filename)) * 31 + line) * 31 + firstLine;
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
        return new FrameInfo(newName, filename, line, firstLine, path);
    }

    public boolean isSynthetic() {
        return filename == null;
    }

    /** py-spy's label: {@code function (file:line)}, {@code function (file)} without a line. */
    public String label() {
        if (filename == null) {
            return name;
        }
        return line > 0 ? name + " (" + filename + ":" + line + ")" : name + " (" + filename + ")";
    }
}

package dev.pyspy.unwind;

/**
 * Where a code address comes from in the source, by the line table: the file (absolute when the
 * table says where it was compiled) and its line (1-based).
 */
public record SourceLine(String path, int line) {

    /** The file's last path element ({@code ceval.c}), as frames show it. */
    public String fileName() {
        int slash = path.lastIndexOf('/');
        return slash >= 0 ? path.substring(slash + 1) : path;
    }
}

package dev.pyspy.process;

/**
 * One line of {@code /proc/PID/maps}.
 *
 * @param start    first address (inclusive)
 * @param end      end address (exclusive)
 * @param perms    four characters such as {@code r-xp}
 * @param offset   file offset of {@code start}
 * @param dev      device as {@code major:minor} in hex, e.g. {@code fd:01}
 * @param inode    inode of the mapped file, 0 for anonymous memory
 * @param pathname as printed by the kernel: a file path (possibly ending in {@code " (deleted)"}),
 *                 a pseudo name such as {@code [heap]}, {@code [stack]}, {@code [anon:name]}, or empty
 */
public record MemoryMapping(long start, long end, String perms, long offset, String dev, long inode, String pathname) {

    /** Suffix the kernel appends to the path of a file that was unlinked after being mapped. */
    public static final String DELETED_SUFFIX = " (deleted)";

    public long size() {
        return end - start;
    }

    /** Whether {@code address} lies in [start, end), comparing as unsigned. */
    public boolean contains(long address) {
        return Long.compareUnsigned(address, start) >= 0 && Long.compareUnsigned(address, end) < 0;
    }

    public boolean readable() {
        return perms.length() > 0 && perms.charAt(0) == 'r';
    }

    public boolean writable() {
        return perms.length() > 1 && perms.charAt(1) == 'w';
    }

    public boolean executable() {
        return perms.length() > 2 && perms.charAt(2) == 'x';
    }

    public boolean isPrivate() {
        return perms.length() > 3 && perms.charAt(3) == 'p';
    }

    /** Whether the mapped file was deleted (or replaced) after it was mapped. */
    public boolean deleted() {
        return pathname.endsWith(DELETED_SUFFIX) && pathname.startsWith("/");
    }

    /** Whether this maps a file (a path rather than a pseudo name or anonymous memory). */
    public boolean isFile() {
        return pathname.startsWith("/");
    }

    /** Pseudo mappings such as {@code [heap]}, {@code [stack]}, {@code [vdso]}. */
    public boolean isPseudo() {
        return pathname.startsWith("[");
    }

    /** The file path without the {@code " (deleted)"} suffix; the pathname itself otherwise. */
    public String path() {
        return deleted() ? pathname.substring(0, pathname.length() - DELETED_SUFFIX.length()) : pathname;
    }

    /** The last path element ({@code libpython3.11.so.1.0}), or the pathname for pseudo names. */
    public String fileName() {
        String p = path();
        if (!isFile()) {
            return p;
        }
        return p.substring(p.lastIndexOf('/') + 1);
    }

    /** {@code start-end} in the form used by {@code /proc/PID/map_files}. */
    public String rangeName() {
        return Long.toHexString(start) + "-" + Long.toHexString(end);
    }

    @Override
    public String toString() {
        return String.format("%x-%x %s %08x %s %d %s", start, end, perms, offset, dev, inode, pathname);
    }
}

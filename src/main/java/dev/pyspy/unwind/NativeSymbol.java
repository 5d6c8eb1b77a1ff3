package dev.pyspy.unwind;

/**
 * A named native frame: the function (demangled; null when no symbol covers the address), the
 * file it is in, and the address's offset in that file (link-time address, as {@code addr2line}
 * and debuggers take it); for an address no symbol covers, the start of the code holding it (its
 * CFI entry), so one unnamed function is one frame.
 *
 * @param function  the symbol, or null
 * @param library   the file's name ({@code libc.so.6}), or null outside any file
 * @param path      the file's path in the target, or null
 * @param offset    link-time address in the file (or the raw address outside any file)
 */
public record NativeSymbol(String function, String library, String path, long offset) {

    /** The function, or {@code ??+0xSTART} for an address no symbol covers (see {@link #offset}). */
    public String functionOrOffset() {
        return function != null ? function : "??+0x" + Long.toHexString(offset);
    }

    /** {@code symbol (library.so)}, as py-spy names native frames. */
    public String display() {
        return functionOrOffset() + " (" + (library != null ? library : "?") + ")";
    }
}

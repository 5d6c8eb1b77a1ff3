package dev.pyspy.process;

import dev.pyspy.ExitCode;
import dev.pyspy.PyspyException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * The bytes of an ELF file and the checked reads of them that {@link ElfFile}, {@link ElfHeaders}
 * and {@link ElfSymbols} share: every offset and length taken from the file is checked against its
 * size, and a bad one is named in a {@link PyspyException}.
 */
final class ElfBytes {
    final String name;
    final ByteBuffer buf;
    final long fileSize;

    ElfBytes(String name, ByteBuffer buf) {
        this.name = name;
        this.buf = buf.order(ByteOrder.LITTLE_ENDIAN);
        this.fileSize = buf.capacity();
    }

    int u8(int at) {
        return buf.get(at) & 0xff;
    }

    int u16(int at) {
        return buf.getShort(at) & 0xffff;
    }

    /** The NUL-terminated string at {@code start}, ending at {@code limit} at the latest. */
    String cString(long start, long limit) {
        int s = (int) start;
        int e = s;
        while (e < limit && buf.get(e) != 0) {
            e++;
        }
        byte[] bytes = new byte[e - s];
        buf.get(s, bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /** Checks [offset, offset+length) lies in the file, treating the values as unsigned. */
    void checkRange(long offset, long length, String what) throws PyspyException {
        if (offset < 0 || length < 0 || offset > fileSize || length > fileSize - offset) {
            throw bad(String.format("%s (offset 0x%x, %d bytes) lies outside the file (%d bytes)",
                    what, offset, length, fileSize));
        }
    }

    PyspyException bad(String why) {
        return new PyspyException(ExitCode.ERROR, name + ": malformed or truncated ELF file: " + why);
    }
}

package dev.pyspy.python;

import dev.pyspy.ExitCode;
import dev.pyspy.PyspyException;
import dev.pyspy.process.ProcessMemory;
import dev.pyspy.process.MemoryReadException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The reads the object readers make, each address and length checked for plausibility first, into
 * one shared buffer (use a result before the next read). Not thread-safe, like the readers using it.
 */
final class ObjectReads {
    /** Lengths and sizes above this belong to no real object. */
    static final long ABSURD_LENGTH = 1L << 32;
    /** Entries read per call when scanning tables and sequences. */
    static final int CHUNK = 128;
    /** An offset the layout does not have. */
    static final int MISSING = Integer.MIN_VALUE;
    private static final long MAX_ADDRESS = 1L << 57;

    private final ProcessMemory memory;
    private final Layout layout;
    private final ByteBuffer scratch = ByteBuffer.allocateDirect(4096).order(ByteOrder.LITTLE_ENDIAN);

    ObjectReads(ProcessMemory memory, Layout layout) {
        this.memory = memory;
        this.layout = layout;
    }

    Layout layout() {
        return layout;
    }

    /** The offset named {@code key}, or {@link #MISSING}. */
    int optional(String key) {
        return layout.offsetOr(key, MISSING);
    }

    /** The offset named {@code key}; when the layout lacks it, adds the key to {@code missing} (see {@link #requireAll}). */
    int required(String key, List<String> missing) {
        int v = layout.offsetOr(key, MISSING);
        if (v == MISSING) {
            missing.add(key);
        }
        return v;
    }

    /** Fails naming every key in {@code missing}: a reader cannot work without them. */
    void requireAll(List<String> missing) throws PyspyException {
        if (!missing.isEmpty()) {
            throw new PyspyException(ExitCode.UNSUPPORTED_VERSION,
                    layout + " lacks what reading objects needs: " + String.join(", ", missing));
        }
    }

    /** {@code offset}, unless it is {@link #MISSING}: then the read needing it fails, naming {@code key}. */
    int need(int offset, String key) throws MemoryReadException {
        if (offset == MISSING) {
            throw new MemoryReadException(layout + " does not describe " + key);
        }
        return offset;
    }

    static void checkPointer(long addr, int len) throws MemoryReadException {
        if (addr < 4096 || addr > MAX_ADDRESS - len) {
            throw new MemoryReadException(addr, len, "not a user-space address");
        }
    }

    static void checkObject(long obj) throws MemoryReadException {
        if (obj < 4096 || obj > MAX_ADDRESS || (obj & 7) != 0) {
            throw new MemoryReadException(String.format("0x%x is not an object address", obj));
        }
    }

    static void checkLength(long obj, long length) throws MemoryReadException {
        if (length < 0 || length > ABSURD_LENGTH) {
            throw new MemoryReadException(String.format("object at 0x%x has implausible length %d", obj, length));
        }
    }

    /** Reads into the shared buffer: use the result before the next read. */
    ByteBuffer read(long addr, int len) throws MemoryReadException {
        checkPointer(addr, len);
        ByteBuffer b = len <= scratch.capacity() ? scratch : ByteBuffer.allocateDirect(len);
        memory.read(addr, b, len);
        b.order(ByteOrder.LITTLE_ENDIAN);
        return b;
    }

    /** Reads {@code len} bytes into the caller's {@code into} (kept by it for its next reads: no allocation). */
    void readInto(long addr, ByteBuffer into, int len) throws MemoryReadException {
        checkPointer(addr, len);
        memory.read(addr, into, len);
    }

    long readLong(long addr) throws MemoryReadException {
        return read(addr, 8).getLong(0);
    }

    int readByte(long addr) throws MemoryReadException {
        return read(addr, 1).get(0) & 0xff;
    }

    byte[] readRaw(long addr, int len) throws MemoryReadException {
        byte[] out = new byte[len];
        if (len == 0) {
            return out;
        }
        ByteBuffer b = read(addr, len);
        b.get(0, out, 0, len);
        return out;
    }

    long[] readPointers(long addr, int count) throws MemoryReadException {
        long[] out = new long[count];
        if (count == 0) {
            return out;
        }
        ByteBuffer b = read(addr, count * 8);
        for (int i = 0; i < count; i++) {
            out[i] = b.getLong(8 * i);
        }
        return out;
    }

    /** {@code count} entries of {@code size} bytes: key and value pointers, interleaved. */
    long[] readEntries(long addr, int count, int size, int keyOff, int valueOff) throws MemoryReadException {
        long[] out = new long[2 * count];
        if (count == 0) {
            return out;
        }
        ByteBuffer b = read(addr, count * size);
        for (int i = 0; i < count; i++) {
            out[2 * i] = b.getLong(i * size + keyOff);
            out[2 * i + 1] = b.getLong(i * size + valueOff);
        }
        return out;
    }

    /** A NUL-terminated string of at most {@code max} bytes, read without crossing into unread pages. */
    String readCString(long addr, int max) throws MemoryReadException {
        checkPointer(addr, 1);
        byte[] out = new byte[max];
        int n = 0;
        long a = addr;
        while (n < max) {
            int chunk = (int) Math.min(max - n, 4096 - (a & 4095));
            ByteBuffer b = read(a, chunk);
            for (int i = 0; i < chunk; i++) {
                byte c = b.get(i);
                if (c == 0) {
                    return new String(out, 0, n, StandardCharsets.UTF_8);
                }
                out[n++] = c;
            }
            a += chunk;
        }
        return new String(out, 0, n, StandardCharsets.UTF_8);
    }
}

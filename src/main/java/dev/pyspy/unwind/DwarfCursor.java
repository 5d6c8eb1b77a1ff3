package dev.pyspy.unwind;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * A read position in a section's bytes (little-endian), with the DWARF encodings unwind tables use:
 * LEB128 numbers and the {@code DW_EH_PE_*} pointer encodings of {@code .eh_frame}. A read past the
 * end throws {@link CfiException}, so malformed tables end the unwind of one frame, nothing more.
 */
final class DwarfCursor {

    static final int DW_EH_PE_OMIT = 0xff;
    private static final int DW_EH_PE_ABSPTR = 0x00;
    private static final int DW_EH_PE_ULEB128 = 0x01;
    private static final int DW_EH_PE_UDATA2 = 0x02;
    private static final int DW_EH_PE_UDATA4 = 0x03;
    private static final int DW_EH_PE_UDATA8 = 0x04;
    private static final int DW_EH_PE_SLEB128 = 0x09;
    private static final int DW_EH_PE_SDATA2 = 0x0a;
    private static final int DW_EH_PE_SDATA4 = 0x0b;
    private static final int DW_EH_PE_SDATA8 = 0x0c;
    private static final int DW_EH_PE_PCREL = 0x10;
    private static final int DW_EH_PE_DATAREL = 0x30;

    private final ByteBuffer buf;
    /** Link-time address of byte 0 of {@link #buf} (for pc-relative pointers). */
    private final long sectionAddress;
    private int pos;
    private int limit;

    DwarfCursor(ByteBuffer buf, long sectionAddress) {
        this.buf = buf.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        this.sectionAddress = sectionAddress;
        this.limit = buf.capacity();
    }

    int position() {
        return pos;
    }

    int limit() {
        return limit;
    }

    void seek(int position, int newLimit) {
        if (position < 0 || newLimit > buf.capacity() || position > newLimit) {
            throw new CfiException("range " + position + ".." + newLimit + " outside the section");
        }
        pos = position;
        limit = newLimit;
    }

    boolean hasMore() {
        return pos < limit;
    }

    private void need(int n) {
        if (n > limit - pos) {
            throw new CfiException("read past the end of an entry at " + pos);
        }
    }

    int u8() {
        need(1);
        return buf.get(pos++) & 0xff;
    }

    int u16() {
        need(2);
        int v = buf.getShort(pos) & 0xffff;
        pos += 2;
        return v;
    }

    long u32() {
        need(4);
        long v = Integer.toUnsignedLong(buf.getInt(pos));
        pos += 4;
        return v;
    }

    long u64() {
        need(8);
        long v = buf.getLong(pos);
        pos += 8;
        return v;
    }

    long uleb() {
        long result = 0;
        int shift = 0;
        while (true) {
            int b = u8();
            if (shift < 64) {
                result |= (long) (b & 0x7f) << shift;
            }
            shift += 7;
            if ((b & 0x80) == 0) {
                return result;
            }
        }
    }

    long sleb() {
        long result = 0;
        int shift = 0;
        int b;
        do {
            b = u8();
            if (shift < 64) {
                result |= (long) (b & 0x7f) << shift;
            }
            shift += 7;
        } while ((b & 0x80) != 0);
        if (shift < 64 && (b & 0x40) != 0) {
            result |= -1L << shift;
        }
        return result;
    }

    /** A NUL-terminated ASCII string (CIE augmentations). */
    String cString() {
        StringBuilder sb = new StringBuilder();
        for (int c = u8(); c != 0; c = u8()) {
            sb.append((char) c);
        }
        return sb.toString();
    }

    /** {@code length} bytes from {@code start} as UTF-8 (file names). */
    String text(int start, int length) {
        byte[] bytes = new byte[length];
        buf.get(start, bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    void skip(long n) {
        if (n < 0 || n > limit - pos) {
            throw new CfiException("skip of " + n + " bytes past the end of an entry at " + pos);
        }
        pos += (int) n;
    }

    /**
     * A pointer in {@code DW_EH_PE_*} encoding {@code enc}; {@code dataBase} is what datarel pointers
     * are relative to (the {@code .eh_frame_hdr} address). Indirect pointers are not followed: no
     * unwind table this reads uses them for code addresses.
     */
    long encoded(int enc, long dataBase) {
        if (enc == DW_EH_PE_OMIT) {
            return 0;
        }
        long fieldAddress = sectionAddress + pos;
        long v = switch (enc & 0x0f) {
            case DW_EH_PE_ABSPTR, DW_EH_PE_UDATA8, DW_EH_PE_SDATA8 -> u64();
            case DW_EH_PE_ULEB128 -> uleb();
            case DW_EH_PE_UDATA2 -> u16();
            case DW_EH_PE_UDATA4 -> u32();
            case DW_EH_PE_SLEB128 -> sleb();
            case DW_EH_PE_SDATA2 -> (short) u16();
            case DW_EH_PE_SDATA4 -> (int) u32();
            default -> throw new CfiException("pointer encoding 0x" + Integer.toHexString(enc));
        };
        return switch (enc & 0x70) {
            case 0 -> v;
            case DW_EH_PE_PCREL -> v + fieldAddress;
            case DW_EH_PE_DATAREL -> v + dataBase;
            default -> throw new CfiException("pointer application 0x" + Integer.toHexString(enc & 0x70));
        };
    }

    /** The size of a pointer in encoding {@code enc} when it is a fixed-size one, for range fields. */
    long encodedValueOnly(int enc) {
        return encoded(enc & 0x0f, 0);
    }
}

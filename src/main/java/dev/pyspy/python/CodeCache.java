package dev.pyspy.python;

import dev.pyspy.PyspyException;
import dev.pyspy.process.Memory;
import dev.pyspy.process.MemoryReadException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Decoded code objects by address: a code object is read (header, name, file, line table) the first
 * time a frame points at it and never again, which makes every later sample cheap.
 */
public final class CodeCache {
    /** Marks an address known not to hold a code object (3.13+ frames may execute other things). */
    private static final CodeInfo NOT_CODE = new CodeInfo(-1, 0, "", "", "", 0, new byte[0], CodeInfo.LineFormat.LNOTAB);
    private static final int MAX_ENTRIES = 1 << 18;

    private final Memory memory;
    private final PyObjects objects;
    private final ShortFilenames shortFilenames;
    private final long codeType;
    private final int size;
    private final int obType;
    private final int name;
    private final int filename;
    private final int firstLine;
    private final int lineTable;
    private final CodeInfo.LineFormat lineFormat;
    private final ByteBuffer buf;
    private final AddressMap<CodeInfo> byAddress = new AddressMap<>();
    private int nextId;

    /**
     * @param codeType address of {@code PyCode_Type} in the target, or 0 when unknown (then the
     *                 type's name is checked once per type address)
     */
    public CodeCache(Memory memory, Layout layout, PythonVersion version, PyObjects objects,
                     ShortFilenames shortFilenames, long codeType) throws PyspyException {
        this.memory = memory;
        this.objects = objects;
        this.shortFilenames = shortFilenames;
        this.codeType = codeType;
        this.obType = layout.offset("PyObject.ob_type");
        this.name = layout.has("PyCodeObject.co_qualname")
                ? layout.offset("PyCodeObject.co_qualname") : layout.offset("PyCodeObject.co_name");
        this.filename = layout.offset("PyCodeObject.co_filename");
        this.firstLine = layout.offset("PyCodeObject.co_firstlineno");
        this.lineTable = layout.offset("PyCodeObject.co_linetable");
        int fieldsEnd = Math.max(Math.max(name, filename), Math.max(firstLine, lineTable)) + 8;
        this.size = Math.max(fieldsEnd, Math.min(layout.offsetOr("sizeof.PyCodeObject", fieldsEnd), 512));
        this.buf = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        if (version.major() == 2) {
            lineFormat = CodeInfo.LineFormat.LNOTAB_27;
        } else if (!version.atLeast(3, 10)) {
            lineFormat = CodeInfo.LineFormat.LNOTAB;
        } else if (!version.atLeast(3, 11)) {
            lineFormat = CodeInfo.LineFormat.LINETABLE_310;
        } else {
            lineFormat = CodeInfo.LineFormat.LOCATION_TABLE;
        }
    }

    /** The code object at {@code address}, or null when the address holds something else. */
    public CodeInfo get(long address) throws MemoryReadException {
        CodeInfo info = byAddress.get(address);
        if (info == null) {
            info = load(address);
            if (byAddress.size() >= MAX_ENTRIES) {
                byAddress.clear(); // a program that keeps making code objects must not grow us forever
            }
            byAddress.put(address, info);
        }
        return info == NOT_CODE ? null : info;
    }

    public int size() {
        return byAddress.size();
    }

    private CodeInfo load(long address) throws MemoryReadException {
        memory.read(address, buf, size);
        long type = buf.getLong(obType);
        if (codeType != 0 ? type != codeType : !"code".equals(objects.typeName(address))) {
            return NOT_CODE;
        }
        // names are the program's to choose (any length, any code points): made printable once here
        String fn = DisplayText.clean(objects.readString(buf.getLong(filename), DisplayText.MAX_CHARS + 1));
        String nm = DisplayText.clean(objects.readString(buf.getLong(name), DisplayText.MAX_CHARS + 1));
        // a line is never negative (0 = none): one that is comes from memory being rewritten under us
        int first = Math.max(buf.getInt(firstLine), 0);
        byte[] table = objects.readBytes(buf.getLong(lineTable), 1 << 20);
        return new CodeInfo(nextId++, address, nm, fn, shortFilenames.shorten(fn), first, table, lineFormat);
    }
}

package dev.pyspy.python;

import dev.pyspy.PyspyException;
import dev.pyspy.process.ProcessMemory;
import dev.pyspy.process.MemoryReadException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Decoded code objects by address: a code object is read (header, name, file, line table) the first
 * time a frame points at it, which makes later samples cheap. A code object can be freed and another
 * made at its address (functions made by exec, modules' code after import): an entry used in a new
 * period of {@link #PERIOD_SHIFT} (about a second, see {@link #beginWalk}) has its header read again
 * and is decoded afresh if it changed. So a stale name lasts at most about a second, and a code
 * object costs at most one read a second, only while fresh stacks keep pointing at it.
 */
public final class CodeCache {
    private static final int MAX_ENTRIES = 1 << 18;
    /** Periods of 2^30 ns (1.07 s): how long an entry is trusted without looking at the object again. */
    private static final int PERIOD_SHIFT = 30;

    /** What is known at one address: the decoded code object (null: not one), and the header it came from. */
    private static final class Entry {
        CodeInfo info;
        long type;
        long namePointer;
        long filePointer;
        long tablePointer;
        int firstLine;
        long checkedPeriod;
    }

    private final ProcessMemory memory;
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
    private final AddressMap<Entry> byAddress = new AddressMap<>();
    private int nextId;
    private long period;

    /**
     * @param codeType address of {@code PyCode_Type} in the target, or 0 when unknown (then the
     *                 type's name is checked once per type address)
     */
    public CodeCache(ProcessMemory memory, Layout layout, PyObjects objects,
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
        this.lineFormat = layout.lineFormat();
    }

    /** Called once per walk: starts a new trust period when about a second has passed. */
    public void beginWalk() {
        period = System.nanoTime() >>> PERIOD_SHIFT;
    }

    /** The code object at {@code address}, or null when the address holds something else. */
    public CodeInfo get(long address) throws MemoryReadException {
        Entry e = byAddress.get(address);
        if (e == null) {
            if (byAddress.size() >= MAX_ENTRIES) {
                byAddress.clear(); // a program that keeps making code objects must not grow us forever
            }
            e = new Entry();
            memory.read(address, buf, size);
            decode(address, e);
            byAddress.put(address, e);
        } else if (e.checkedPeriod != period) {
            memory.read(address, buf, size);
            if (!sameHeader(e)) {
                decode(address, e);
            }
        }
        e.checkedPeriod = period;
        return e.info;
    }

    public int size() {
        return byAddress.size();
    }

    private boolean sameHeader(Entry e) {
        return buf.getLong(obType) == e.type && buf.getLong(name) == e.namePointer && buf.getLong(filename) == e.filePointer
                && buf.getLong(lineTable) == e.tablePointer && buf.getInt(firstLine) == e.firstLine;
    }

    /**
     * Decodes the header just read into {@link #buf} (and what it points to) into {@code e}; if a
     * read fails, {@code e} is left as it was.
     */
    private void decode(long address, Entry e) throws MemoryReadException {
        long type = buf.getLong(obType);
        long namePointer = buf.getLong(name);
        long filePointer = buf.getLong(filename);
        long tablePointer = buf.getLong(lineTable);
        int line = buf.getInt(firstLine);
        CodeInfo info = null; // not a code object (3.13+ frames may execute other things)
        if (codeType != 0 ? type == codeType : "code".equals(objects.typeName(address))) {
            // names are the program's to choose (any length, any code points): made printable once here
            String fn = DisplayText.clean(objects.readString(filePointer, DisplayText.MAX_CHARS + 1));
            String nm = DisplayText.clean(objects.readString(namePointer, DisplayText.MAX_CHARS + 1));
            byte[] table = objects.readBytes(tablePointer, 1 << 20);
            // a line is never negative (0 = none): one that is comes from memory being rewritten under us
            info = new CodeInfo(nextId++, address, nm, fn, shortFilenames.shorten(fn), Math.max(line, 0), table, lineFormat);
        }
        e.info = info;
        e.type = type;
        e.namePointer = namePointer;
        e.filePointer = filePointer;
        e.tablePointer = tablePointer;
        e.firstLine = line;
    }
}

package dev.pyspy.python;

import dev.pyspy.PyspyException;
import dev.pyspy.process.ProcessMemory;
import dev.pyspy.process.MemoryReadException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Decoded code objects by address: a code object is read (header, name, file, line table) the first
 * time a frame points at it, which makes later samples cheap. A code object can be freed and another
 * made at its address (functions made by exec, modules' code after import), so an entry is used only
 * after its header was seen unchanged in the same walk: the headers of the code objects used in the
 * last {@link #RECENT_WALKS} walks are read as probes in a batched read the walk makes anyway
 * ({@link #addProbes}); an entry not probed is read again when used (two reads). A header that
 * changed gets the entry decoded afresh. The header holds pointers only, and an allocator that frees
 * a code object with its name, file and line table and then makes a same-shaped one (exec'd code,
 * repeated) may put each new object where the old one was: so the name's hash, which CPython computes
 * when it interns a code object's name, is read with each header, and a different text is a
 * different code object. Where the target runs while it is read (nonblocking mode, in
 * which no read is atomic anyway) the probes go with a walk at most every {@link #checkEvery}
 * nanoseconds, and entries checked in the last probed walk stand until the next: probing a handful
 * of scattered headers costs a shallow walk half again its own time.
 */
public final class CodeCache {
    private static final int MAX_ENTRIES = 1 << 18;
    /** Code objects used within this many walks are probed in the next one. */
    private static final int RECENT_WALKS = 16;
    /** Probes per walk: beyond them, entries are checked one read each when used. */
    private static final int MAX_PROBES = 512;

    /** What is known at one address: the decoded code object (null: not one), and the header it came from. */
    private static final class Entry {
        final long address;
        CodeInfo info;
        long type;
        long namePointer;
        long filePointer;
        long tablePointer;
        int firstLine;
        /** The walk in which the header was last seen unchanged (or decoded). */
        long checkedWalk = -1;
        long usedWalk = -1;
        /** The walk in which its probe found the header changed (then the probe is the header to decode). */
        long changedWalk = -1;
        boolean recent;
        /** The hash stored in its name object ({@code -1}: not computed, no help). */
        long nameHash;
        /** Where its probe lands, made when it is first probed, and where the name's hash does. */
        ByteBuffer probe;
        ByteBuffer nameHashProbe;

        Entry(long address) {
            this.address = address;
        }
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
    /** Where a name string object keeps its hash. */
    private final int stringHash;
    private final CodeInfo.LineFormat lineFormat;
    /** Bytes of a header that identify the object: up to the last field compared. */
    private final int identitySize;
    private final ByteBuffer buf;
    private final ByteBuffer hashBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
    private final AddressMap<Entry> byAddress = new AddressMap<>();
    private int nextId;
    /** Markers of stacks cut in the middle, by frames left out (few distinct counts: recursions this deep are rare). */
    private final Map<Integer, CodeInfo> omittedMarkers = new HashMap<>();
    private final Map<String, CodeInfo> syntheticFrames = new HashMap<>();
    private long walk;
    /** The walk whose probes (or reads) an entry's check must date from to be trusted. */
    private long validSince;
    /** Whether this walk probes. */
    private boolean probing = true;
    private long checkEveryNanos;
    private long lastProbeNanos;
    /** Entries used in the last {@link #RECENT_WALKS} walks (the first {@link #MAX_PROBES} are probed). */
    private final List<Entry> recent = new ArrayList<>();
    /** Entries whose probes are in the batch being read. */
    private int probedEntries;

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
        this.stringHash = layout.has("PyStringObject.ob_shash")
                ? layout.offset("PyStringObject.ob_shash") : layout.offset("PyASCIIObject.hash");
        int fieldsEnd = Math.max(Math.max(Math.max(name, filename), Math.max(firstLine, lineTable)), obType) + 8;
        this.identitySize = fieldsEnd;
        this.size = Math.max(fieldsEnd, Math.min(layout.offsetOr("sizeof.PyCodeObject", fieldsEnd), 512));
        this.buf = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        this.lineFormat = layout.lineFormat();
    }

    /**
     * Probes go with a walk at most every {@code nanos} from now on (0: every walk, as when the
     * target is stopped for each).
     */
    public void checkEvery(long nanos) {
        checkEveryNanos = nanos;
    }

    /** Called once per walk, first: picks the entries to probe (those used lately). */
    public void beginWalk() {
        walk++;
        long now = checkEveryNanos > 0 ? System.nanoTime() : 0;
        probing = checkEveryNanos == 0 || now - lastProbeNanos >= checkEveryNanos;
        if (!probing) {
            return;
        }
        lastProbeNanos = now;
        validSince = walk;
        int kept = 0;
        for (Entry e : recent) {
            if (e.usedWalk >= walk - RECENT_WALKS && byAddress.get(e.address) == e) {
                recent.set(kept++, e);
            } else {
                e.recent = false;
            }
        }
        recent.subList(kept, recent.size()).clear();
        probedEntries = 0;
    }

    /**
     * Adds reads of each recently used code object's header and its name's hash to a batch, from
     * index {@code k}; returns the next free index. {@link #checkProbes} must follow the batch's read.
     */
    int addProbes(long[] addresses, ByteBuffer[] buffers, int[] lengths, int k) {
        probedEntries = probing ? Math.min(recent.size(), MAX_PROBES) : 0;
        for (int i = 0; i < probedEntries; i++) {
            Entry e = recent.get(i);
            if (e.probe == null) {
                e.probe = ByteBuffer.allocateDirect(identitySize + 8).order(ByteOrder.LITTLE_ENDIAN);
                e.nameHashProbe = e.probe.slice(identitySize, 8).order(ByteOrder.LITTLE_ENDIAN);
            }
            addresses[k] = e.address;
            buffers[k] = e.probe;
            lengths[k] = identitySize;
            addresses[k + 1] = e.info != null ? e.namePointer + stringHash : e.address; // no name: any readable word
            buffers[k + 1] = e.nameHashProbe;
            lengths[k + 1] = 8;
            k += 2;
        }
        return k;
    }

    /** Reads {@link #addProbes} would add now. */
    int probeCount() {
        return probing ? 2 * Math.min(recent.size(), MAX_PROBES) : 0;
    }

    /** The probed batch was not read (a probed object's memory is gone): the entries are read when used. */
    void dropProbes() {
        probedEntries = 0;
    }

    /** After the probed batch was read: entries whose header and name are unchanged may be used this walk. */
    void checkProbes() {
        for (int i = 0; i < probedEntries; i++) {
            Entry e = recent.get(i);
            if (sameHeader(e, e.probe) && (e.info == null || e.nameHashProbe.getLong(0) == e.nameHash)) {
                e.checkedWalk = walk;
            } else {
                e.changedWalk = walk;
            }
        }
        probedEntries = 0;
    }

    /**
     * Whether {@code info}, used by a decode being reused, is still what its address holds (its
     * header was probed unchanged this walk); counts it as used.
     */
    boolean stillValid(CodeInfo info) {
        Entry e = byAddress.get(info.address());
        if (e == null || e.info != info || e.checkedWalk < validSince) {
            return false;
        }
        markUsed(e);
        return true;
    }

    /** The code object at {@code address}, or null when the address holds something else. */
    public CodeInfo get(long address) throws MemoryReadException {
        Entry e = byAddress.get(address);
        if (e == null) {
            if (byAddress.size() >= MAX_ENTRIES) {
                byAddress.clear(); // a program that keeps making code objects must not grow us forever
            }
            e = new Entry(address);
            memory.read(address, buf, size);
            decode(address, e, buf);
            byAddress.put(address, e);
        } else if (e.checkedWalk < validSince) {
            ByteBuffer header = e.changedWalk == walk ? e.probe : buf;
            if (header == buf) {
                memory.read(address, buf, size);
            }
            // a probe that found it changed: decoded again (the header is the probe's, or a name whose hash moved)
            if (header != buf || !sameHeader(e, header) || (e.info != null && nameHash(e.namePointer) != e.nameHash)) {
                decode(address, e, header);
            }
        }
        e.checkedWalk = walk;
        markUsed(e);
        return e.info;
    }

    private void markUsed(Entry e) {
        e.usedWalk = walk;
        if (!e.recent) {
            e.recent = true;
            recent.add(e);
        }
    }

    /**
     * The frame standing for {@code count} frames left out of a stack too deep to keep whole: not
     * Python code, so it has no file (outputs show its name alone).
     */
    public CodeInfo omittedMarker(int count) {
        if (omittedMarkers.size() >= 1024) {
            omittedMarkers.clear();
        }
        return omittedMarkers.computeIfAbsent(count, n -> new CodeInfo(nextId++, 0,
                "<" + n + " frames omitted>", null, null, 0, new byte[0], lineFormat));
    }

    /**
     * A frame that is no Python code (a native function, {@code --native}), named {@code name} in
     * {@code filename}: interned per (name, file) so a sample allocates nothing once it was seen.
     */
    public CodeInfo syntheticFrame(String name, String filename, String shortFilename) {
        String key = filename == null ? name : name + "\0" + filename; // markers: no concatenation per sample
        CodeInfo known = syntheticFrames.get(key);
        if (known == null) {
            if (syntheticFrames.size() >= 1 << 16) {
                syntheticFrames.clear();
            }
            known = new CodeInfo(nextId++, 0, name, filename, shortFilename, 0, new byte[0], lineFormat);
            syntheticFrames.put(key, known);
        }
        return known;
    }

    /**
     * A synthetic frame labelled {@code label} ({@code <exception ValueError>}, {@code <GC>},
     * {@code <task NAME>}): a code with no file, interned like the native ones.
     */
    public CodeInfo marker(String label) {
        return syntheticFrame(label, null, null);
    }

    public int size() {
        return byAddress.size();
    }

    /** A fresh id for a frame made from a code object ({@code --opcodes}: the code at one instruction). */
    public int newId() {
        return nextId++;
    }

    private boolean sameHeader(Entry e, ByteBuffer b) {
        return b.getLong(obType) == e.type && b.getLong(name) == e.namePointer && b.getLong(filename) == e.filePointer
                && b.getLong(lineTable) == e.tablePointer && b.getInt(firstLine) == e.firstLine;
    }

    /**
     * Decodes the header just read into {@code header} (and what it points to) into {@code e}; if a
     * read fails, {@code e} is left as it was.
     */
    private void decode(long address, Entry e, ByteBuffer header) throws MemoryReadException {
        long type = header.getLong(obType);
        long namePointer = header.getLong(name);
        long filePointer = header.getLong(filename);
        long tablePointer = header.getLong(lineTable);
        int line = header.getInt(firstLine);
        CodeInfo info = null; // not a code object (3.13+ frames may execute other things)
        long hash = 0;
        if (codeType != 0 ? type == codeType : "code".equals(objects.typeName(address))) {
            hash = nameHash(namePointer);
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
        e.nameHash = hash;
    }

    private long nameHash(long namePointer) throws MemoryReadException {
        memory.read(namePointer + stringHash, hashBuf, 8);
        return hashBuf.getLong(0);
    }
}

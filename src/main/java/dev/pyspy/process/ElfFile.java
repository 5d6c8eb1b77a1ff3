package dev.pyspy.process;

import dev.pyspy.ExitCode;
import dev.pyspy.PyspyException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/**
 * A read-only view of an ELF64 little-endian file (executable or shared library): section and
 * program headers, symbol lookup and file contents by virtual address. Used to find
 * {@code _PyRuntime}, {@code interp_head}, {@code Py_Version} and friends without running the target.
 *
 * <p>Every offset and count read from the file is checked against the file's size, so truncated or
 * garbage input raises {@link PyspyException} rather than an out-of-bounds read or an endless loop.
 * Instances are immutable and safe to share between threads.
 */
public final class ElfFile {

    public static final int ET_EXEC = 2;
    public static final int ET_DYN = 3;
    public static final int EM_X86_64 = 62;
    public static final int EM_AARCH64 = 183;

    public static final int SHT_SYMTAB = 2;
    public static final int SHT_STRTAB = 3;
    public static final int SHT_NOBITS = 8;
    public static final int SHT_DYNSYM = 11;
    public static final int PT_LOAD = 1;

    private static final int EHDR_SIZE = 64;
    private static final int SHDR_SIZE = 64;
    private static final int PHDR_SIZE = 56;
    private static final int SYM_SIZE = 24;
    private static final int SHN_UNDEF = 0;
    private static final int SHN_XINDEX = 0xffff;
    private static final int PN_XNUM = 0xffff;
    private static final long PAGE_SIZE = 4096;

    /** A section header with its name resolved. */
    public record Section(int index, String name, int type, long flags, long address, long offset, long size,
            int link, int info, long addressAlign, long entrySize) {

        /** Whether the section occupies bytes in the file (.bss does not). */
        public boolean hasFileData() {
            return type != SHT_NOBITS;
        }

        public boolean containsAddress(long vaddr) {
            return address != 0 && Long.compareUnsigned(vaddr - address, size) < 0;
        }
    }

    /** A program header (segment). */
    public record ProgramHeader(int type, int flags, long offset, long vaddr, long paddr, long fileSize,
            long memorySize, long align) {

        public boolean isLoad() {
            return type == PT_LOAD;
        }
    }

    /** A defined symbol: its link-time value (an address relative to the load bias) and size. */
    public record Symbol(String name, long value, long size, int type, int binding, int sectionIndex) {
    }

    private final String name;
    private final ByteBuffer buf;
    private final long fileSize;
    private final int type;
    private final int machine;
    private final long entry;
    private final List<Section> sections;
    private final List<ProgramHeader> programHeaders;

    private ElfFile(String name, ByteBuffer buf) throws PyspyException {
        this.name = name;
        this.buf = buf.order(ByteOrder.LITTLE_ENDIAN);
        this.fileSize = buf.capacity();
        if (fileSize < EHDR_SIZE) {
            throw bad("file too short for an ELF header (" + fileSize + " bytes)");
        }
        if (u8(0) != 0x7f || u8(1) != 'E' || u8(2) != 'L' || u8(3) != 'F') {
            throw bad("not an ELF file");
        }
        if (u8(4) != 2) {
            throw bad("not a 64-bit ELF file");
        }
        if (u8(5) != 1) {
            throw bad("not a little-endian ELF file");
        }
        this.type = u16(16);
        this.machine = u16(18);
        this.entry = buf.getLong(24);
        this.sections = Collections.unmodifiableList(readSections());
        this.programHeaders = Collections.unmodifiableList(readProgramHeaders());
    }

    /** Opens and parses a file; the contents are memory-mapped, not copied. */
    public static ElfFile open(Path path) throws PyspyException {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size > Integer.MAX_VALUE) {
                throw new PyspyException(ExitCode.ERROR, path + ": ELF files over 2 GiB are not supported");
            }
            ByteBuffer mapped = ch.map(FileChannel.MapMode.READ_ONLY, 0, size);
            return new ElfFile(path.toString(), mapped);
        } catch (IOException e) {
            throw new PyspyException(ExitCode.ERROR, "cannot read " + path + ": " + e.getMessage(), e);
        }
    }

    /** Parses an ELF image held in memory (positions 0 to capacity of {@code data}). */
    public static ElfFile parse(ByteBuffer data, String name) throws PyspyException {
        return new ElfFile(name, data.duplicate().clear());
    }

    public String name() {
        return name;
    }

    /** {@link #ET_EXEC} (fixed addresses) or {@link #ET_DYN} (PIE executable or shared library). */
    public int type() {
        return type;
    }

    public int machine() {
        return machine;
    }

    public long entry() {
        return entry;
    }

    public List<Section> sections() {
        return sections;
    }

    public Optional<Section> section(String sectionName) {
        for (Section s : sections) {
            if (s.name.equals(sectionName)) {
                return Optional.of(s);
            }
        }
        return Optional.empty();
    }

    public List<ProgramHeader> programHeaders() {
        return programHeaders;
    }

    public List<ProgramHeader> loadSegments() {
        List<ProgramHeader> loads = new ArrayList<>();
        for (ProgramHeader p : programHeaders) {
            if (p.isLoad()) {
                loads.add(p);
            }
        }
        return loads;
    }

    /** The lowest PT_LOAD virtual address, or 0 if there is none. */
    public long lowestLoadAddress() {
        long lowest = -1;
        for (ProgramHeader p : programHeaders) {
            if (p.isLoad() && Long.compareUnsigned(p.vaddr, lowest) < 0) {
                lowest = p.vaddr;
            }
        }
        return lowest == -1 ? 0 : lowest;
    }

    /** A defined symbol in {@code .dynsym} (exported symbols; survives stripping). */
    public Optional<Symbol> dynamicSymbol(String symbolName) throws PyspyException {
        return lookup(SHT_DYNSYM, symbolName);
    }

    /** A defined symbol in {@code .symtab} (includes static symbols; removed by stripping). */
    public Optional<Symbol> staticSymbol(String symbolName) throws PyspyException {
        return lookup(SHT_SYMTAB, symbolName);
    }

    /** Looks in {@code .dynsym} first, then {@code .symtab}. */
    public Optional<Symbol> symbol(String symbolName) throws PyspyException {
        Optional<Symbol> s = dynamicSymbol(symbolName);
        return s.isPresent() ? s : staticSymbol(symbolName);
    }

    private Optional<Symbol> lookup(int tableType, String symbolName) throws PyspyException {
        byte[] wanted = symbolName.getBytes(StandardCharsets.UTF_8);
        for (Section table : sections) {
            if (table.type != tableType) {
                continue;
            }
            if (table.link <= 0 || table.link >= sections.size()) {
                throw bad("symbol table " + table.name + " links to no string table");
            }
            Section strtab = sections.get(table.link);
            checkRange(table.offset, table.size, table.name);
            checkRange(strtab.offset, strtab.size, strtab.name);
            long entSize = table.entrySize == 0 ? SYM_SIZE : table.entrySize;
            if (entSize < SYM_SIZE) {
                throw bad("symbol table " + table.name + " has entries of " + entSize + " bytes");
            }
            long count = table.size / entSize;
            for (long i = 0; i < count; i++) {
                int at = (int) (table.offset + i * entSize);
                long nameOffset = Integer.toUnsignedLong(buf.getInt(at));
                int shndx = u16(at + 6);
                if (shndx == SHN_UNDEF || nameOffset >= strtab.size
                        || !nameEquals(strtab.offset + nameOffset, strtab.offset + strtab.size, wanted)) {
                    continue;
                }
                int info = u8(at + 4);
                return Optional.of(new Symbol(symbolName, buf.getLong(at + 8), buf.getLong(at + 16), info & 0xf,
                        info >>> 4, shndx));
            }
        }
        return Optional.empty();
    }

    private boolean nameEquals(long start, long limit, byte[] wanted) {
        if (limit - start < wanted.length + 1) {
            return false;
        }
        int s = (int) start;
        for (int k = 0; k < wanted.length; k++) {
            if (buf.get(s + k) != wanted[k]) {
                return false;
            }
        }
        return buf.get(s + wanted.length) == 0;
    }

    /**
     * Reads {@code length} bytes as they would be in memory at link-time address {@code vaddr}
     * (add nothing for the load bias): from the file part of the PT_LOAD segment containing it,
     * zeros for its .bss part.
     */
    public byte[] readAtAddress(long vaddr, int length) throws PyspyException {
        if (length < 0) {
            throw new IllegalArgumentException("negative length");
        }
        for (ProgramHeader p : programHeaders) {
            if (!p.isLoad() || Long.compareUnsigned(vaddr - p.vaddr, p.memorySize) >= 0) {
                continue;
            }
            long rel = vaddr - p.vaddr;
            if (Long.compareUnsigned(rel + length, p.memorySize) > 0) {
                throw bad(String.format("range 0x%x+%d crosses the end of its segment", vaddr, length));
            }
            byte[] out = new byte[length];
            long fromFile = Math.max(0, Math.min(length, p.fileSize - rel));
            if (fromFile > 0) {
                checkRange(p.offset + rel, fromFile, "segment");
                buf.get((int) (p.offset + rel), out, 0, (int) fromFile);
            }
            return out;
        }
        throw bad(String.format("address 0x%x is not in any loaded segment", vaddr));
    }

    /** A NUL-terminated string at link-time address {@code vaddr} (e.g. in .rodata), at most {@code maxLength} bytes. */
    public String readCString(long vaddr, int maxLength) throws PyspyException {
        for (ProgramHeader p : programHeaders) {
            if (!p.isLoad() || Long.compareUnsigned(vaddr - p.vaddr, p.fileSize) >= 0) {
                continue;
            }
            long start = p.offset + (vaddr - p.vaddr);
            long limit = Math.min(p.offset + p.fileSize, start + maxLength);
            checkRange(start, limit - start, "segment");
            int end = (int) start;
            while (end < limit && buf.get(end) != 0) {
                end++;
            }
            byte[] bytes = new byte[end - (int) start];
            buf.get((int) start, bytes);
            return new String(bytes, StandardCharsets.UTF_8);
        }
        throw bad(String.format("address 0x%x is not in the file part of any loaded segment", vaddr));
    }

    /** The raw file bytes of a section (empty for .bss-like sections). */
    public byte[] sectionBytes(Section s) throws PyspyException {
        if (!s.hasFileData()) {
            return new byte[0];
        }
        checkRange(s.offset, s.size, s.name);
        byte[] out = new byte[(int) s.size];
        buf.get((int) s.offset, out);
        return out;
    }

    /** The bytes of a section as a read-only view of the file (no copy); empty for .bss-like sections. */
    public ByteBuffer sectionData(Section s) throws PyspyException {
        if (!s.hasFileData()) {
            return ByteBuffer.allocate(0).order(ByteOrder.LITTLE_ENDIAN);
        }
        checkRange(s.offset, s.size, s.name);
        return buf.slice((int) s.offset, (int) s.size).asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** STT_FUNC and STT_GNU_IFUNC: the symbol types that name code. */
    public static final int STT_FUNC = 2;
    public static final int STT_GNU_IFUNC = 10;

    /**
     * Every defined function symbol of {@code .symtab} and {@code .dynsym} (both: a stripped file has
     * only the second), in file order; names are the raw (mangled) ones.
     */
    public List<Symbol> functionSymbols() throws PyspyException {
        List<Symbol> out = new ArrayList<>();
        for (Section table : sections) {
            if (table.type != SHT_SYMTAB && table.type != SHT_DYNSYM) {
                continue;
            }
            if (table.link <= 0 || table.link >= sections.size()) {
                continue;
            }
            Section strtab = sections.get(table.link);
            checkRange(table.offset, table.size, table.name);
            checkRange(strtab.offset, strtab.size, strtab.name);
            long entSize = table.entrySize == 0 ? SYM_SIZE : table.entrySize;
            if (entSize < SYM_SIZE) {
                continue;
            }
            long count = table.size / entSize;
            for (long i = 0; i < count; i++) {
                int at = (int) (table.offset + i * entSize);
                int info = u8(at + 4);
                int symType = info & 0xf;
                int shndx = u16(at + 6);
                long value = buf.getLong(at + 8);
                long nameOffset = Integer.toUnsignedLong(buf.getInt(at));
                if ((symType != STT_FUNC && symType != STT_GNU_IFUNC) || shndx == SHN_UNDEF || value == 0
                        || nameOffset >= strtab.size) {
                    continue;
                }
                String symbolName = cString(strtab.offset + nameOffset, strtab.offset + strtab.size);
                out.add(new Symbol(symbolName, value, buf.getLong(at + 16), symType, info >>> 4, shndx));
            }
        }
        return out;
    }

    private static final int NT_GNU_BUILD_ID = 3;

    /** The GNU build id in hex (from {@code .note.gnu.build-id}), which names separate debug files. */
    public Optional<String> buildId() throws PyspyException {
        Optional<Section> note = section(".note.gnu.build-id");
        if (note.isEmpty() || note.get().size < 16) {
            return Optional.empty();
        }
        ByteBuffer b = sectionData(note.get());
        long nameSize = Integer.toUnsignedLong(b.getInt(0));
        long descSize = Integer.toUnsignedLong(b.getInt(4));
        int noteType = b.getInt(8);
        long descAt = 12 + ((nameSize + 3) & ~3L);
        if (noteType != NT_GNU_BUILD_ID || descSize == 0 || descAt + descSize > b.capacity()) {
            return Optional.empty();
        }
        StringBuilder hex = new StringBuilder();
        for (int i = 0; i < descSize; i++) {
            hex.append(String.format("%02x", b.get((int) (descAt + i)) & 0xff));
        }
        return Optional.of(hex.toString());
    }

    /**
     * The load bias of this file in a process: what to add to a symbol's value to get its runtime
     * address (0 for a non-PIE executable). {@code mappings} are the /proc/PID/maps entries of this
     * file; the mapping of file offset 0 holds the first PT_LOAD, placed at
     * bias + the page-aligned lowest PT_LOAD address.
     */
    public long loadBias(List<MemoryMapping> mappings) throws PyspyException {
        long lowest = lowestLoadAddress() & -PAGE_SIZE;
        MemoryMapping first = null;
        for (MemoryMapping m : mappings) {
            if (m.offset() == 0 && (first == null || Long.compareUnsigned(m.start(), first.start()) < 0)) {
                first = m;
            }
        }
        if (first != null) {
            return first.start() - lowest;
        }
        // No mapping of offset 0 (unusual layouts): match a mapping to the segment at its offset.
        for (MemoryMapping m : mappings) {
            for (ProgramHeader p : programHeaders) {
                if (p.isLoad() && (p.offset & -PAGE_SIZE) == m.offset()) {
                    return m.start() - (p.vaddr & -PAGE_SIZE);
                }
            }
        }
        throw new PyspyException(ExitCode.ERROR, "cannot find where " + name + " is loaded");
    }

    private List<Section> readSections() throws PyspyException {
        long shoff = buf.getLong(40);
        int shentsize = u16(58);
        long shnum = u16(60);
        int shstrndx = u16(62);
        if (shoff == 0) {
            return new ArrayList<>();
        }
        if (shentsize < SHDR_SIZE) {
            throw bad("section header entries of " + shentsize + " bytes");
        }
        checkRange(shoff, SHDR_SIZE, "section header table");
        if (shnum == 0) {
            // Extended numbering: the real count is in section 0's sh_size.
            shnum = buf.getLong((int) shoff + 32);
        }
        if (shstrndx == SHN_XINDEX) {
            shstrndx = buf.getInt((int) shoff + 40);
        }
        if (shnum < 0 || shnum > (fileSize - shoff) / shentsize) {
            throw bad("section header table (" + shnum + " entries at offset " + shoff + ") past end of file");
        }
        List<Section> raw = new ArrayList<>((int) shnum);
        for (int i = 0; i < shnum; i++) {
            int at = (int) (shoff + (long) i * shentsize);
            raw.add(new Section(i, "", buf.getInt(at + 4), buf.getLong(at + 8), buf.getLong(at + 16),
                    buf.getLong(at + 24), buf.getLong(at + 32), buf.getInt(at + 40), buf.getInt(at + 44),
                    buf.getLong(at + 48), buf.getLong(at + 56)));
        }
        if (shstrndx <= 0 || shstrndx >= shnum) {
            return raw; // no section names
        }
        Section names = raw.get(shstrndx);
        checkRange(names.offset, names.size, "section name table");
        List<Section> named = new ArrayList<>(raw.size());
        for (int i = 0; i < raw.size(); i++) {
            Section s = raw.get(i);
            int at = (int) (shoff + (long) i * shentsize);
            long nameOff = Integer.toUnsignedLong(buf.getInt(at));
            String sectionName = nameOff < names.size ? cString(names.offset + nameOff, names.offset + names.size) : "";
            named.add(new Section(i, sectionName, s.type, s.flags, s.address, s.offset, s.size, s.link, s.info,
                    s.addressAlign, s.entrySize));
        }
        return named;
    }

    private List<ProgramHeader> readProgramHeaders() throws PyspyException {
        long phoff = buf.getLong(32);
        int phentsize = u16(54);
        long phnum = u16(56);
        if (phoff == 0 || phnum == 0) {
            return new ArrayList<>();
        }
        if (phnum == PN_XNUM && !sections.isEmpty()) {
            phnum = Integer.toUnsignedLong(sections.get(0).info);
        }
        if (phentsize < PHDR_SIZE) {
            throw bad("program header entries of " + phentsize + " bytes");
        }
        if (phoff < 0 || phoff > fileSize || phnum > (fileSize - phoff) / phentsize) {
            throw bad("program header table past end of file");
        }
        List<ProgramHeader> list = new ArrayList<>((int) phnum);
        for (int i = 0; i < phnum; i++) {
            int at = (int) (phoff + (long) i * phentsize);
            list.add(new ProgramHeader(buf.getInt(at), buf.getInt(at + 4), buf.getLong(at + 8), buf.getLong(at + 16),
                    buf.getLong(at + 24), buf.getLong(at + 32), buf.getLong(at + 40), buf.getLong(at + 48)));
        }
        return list;
    }

    private String cString(long start, long limit) {
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
    private void checkRange(long offset, long length, String what) throws PyspyException {
        if (offset < 0 || length < 0 || offset > fileSize || length > fileSize - offset) {
            throw bad(String.format("%s (offset 0x%x, %d bytes) lies outside the file (%d bytes)",
                    what, offset, length, fileSize));
        }
    }

    private int u8(int at) {
        return buf.get(at) & 0xff;
    }

    private int u16(int at) {
        return buf.getShort(at) & 0xffff;
    }

    private PyspyException bad(String why) {
        return new PyspyException(ExitCode.ERROR, name + ": malformed or truncated ELF file: " + why);
    }

    @Override
    public String toString() {
        return "ElfFile[" + name + "]";
    }
}

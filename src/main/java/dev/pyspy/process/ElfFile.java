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
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * A read-only view of an ELF64 little-endian file (executable or shared library): section and
 * program headers ({@link ElfHeaders}), symbol lookup ({@link ElfSymbols}) and file contents by
 * virtual address. Used to find
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

    /** STT_FUNC and STT_GNU_IFUNC: the symbol types that name code. */
    public static final int STT_FUNC = 2;
    public static final int STT_GNU_IFUNC = 10;

    private static final int EHDR_SIZE = 64;
    private static final long PAGE_SIZE = 4096;
    private static final int NT_GNU_BUILD_ID = 3;
    private static final long SHF_COMPRESSED = 0x800;
    private static final int ELFCOMPRESS_ZLIB = 1;

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

    private final ElfBytes image;
    private final String name;
    private final ByteBuffer buf;
    private final int type;
    private final int machine;
    private final long entry;
    private final List<Section> sections;
    private final List<ProgramHeader> programHeaders;
    private final ElfSymbols symbols;

    private ElfFile(String name, ByteBuffer buf) throws PyspyException {
        this.image = new ElfBytes(name, buf);
        this.name = name;
        this.buf = image.buf;
        if (image.fileSize < EHDR_SIZE) {
            throw image.bad("file too short for an ELF header (" + image.fileSize + " bytes)");
        }
        if (image.u8(0) != 0x7f || image.u8(1) != 'E' || image.u8(2) != 'L' || image.u8(3) != 'F') {
            throw image.bad("not an ELF file");
        }
        if (image.u8(4) != 2) {
            throw image.bad("not a 64-bit ELF file");
        }
        if (image.u8(5) != 1) {
            throw image.bad("not a little-endian ELF file");
        }
        this.type = image.u16(16);
        this.machine = image.u16(18);
        this.entry = buf.getLong(24);
        this.sections = Collections.unmodifiableList(ElfHeaders.readSections(image));
        this.programHeaders = Collections.unmodifiableList(ElfHeaders.readProgramHeaders(image, sections));
        this.symbols = new ElfSymbols(image, sections);
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
        return symbols.lookup(SHT_DYNSYM, symbolName);
    }

    /** A defined symbol in {@code .symtab} (includes static symbols; removed by stripping). */
    public Optional<Symbol> staticSymbol(String symbolName) throws PyspyException {
        return symbols.lookup(SHT_SYMTAB, symbolName);
    }

    /** Looks in {@code .dynsym} first, then {@code .symtab}. */
    public Optional<Symbol> symbol(String symbolName) throws PyspyException {
        Optional<Symbol> s = dynamicSymbol(symbolName);
        return s.isPresent() ? s : staticSymbol(symbolName);
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
                throw image.bad(String.format("range 0x%x+%d crosses the end of its segment", vaddr, length));
            }
            byte[] out = new byte[length];
            long fromFile = Math.max(0, Math.min(length, p.fileSize - rel));
            if (fromFile > 0) {
                image.checkRange(p.offset + rel, fromFile, "segment");
                buf.get((int) (p.offset + rel), out, 0, (int) fromFile);
            }
            return out;
        }
        throw image.bad(String.format("address 0x%x is not in any loaded segment", vaddr));
    }

    /** A NUL-terminated string at link-time address {@code vaddr} (e.g. in .rodata), at most {@code maxLength} bytes. */
    public String readCString(long vaddr, int maxLength) throws PyspyException {
        for (ProgramHeader p : programHeaders) {
            if (!p.isLoad() || Long.compareUnsigned(vaddr - p.vaddr, p.fileSize) >= 0) {
                continue;
            }
            long start = p.offset + (vaddr - p.vaddr);
            long limit = Math.min(p.offset + p.fileSize, start + maxLength);
            image.checkRange(start, limit - start, "segment");
            int end = (int) start;
            while (end < limit && buf.get(end) != 0) {
                end++;
            }
            byte[] bytes = new byte[end - (int) start];
            buf.get((int) start, bytes);
            return new String(bytes, StandardCharsets.UTF_8);
        }
        throw image.bad(String.format("address 0x%x is not in the file part of any loaded segment", vaddr));
    }

    /** The raw file bytes of a section (empty for .bss-like sections). */
    public byte[] sectionBytes(Section s) throws PyspyException {
        if (!s.hasFileData()) {
            return new byte[0];
        }
        image.checkRange(s.offset, s.size, s.name);
        byte[] out = new byte[(int) s.size];
        buf.get((int) s.offset, out);
        return out;
    }

    /** The bytes of a section as a read-only view of the file (no copy); empty for .bss-like sections. */
    public ByteBuffer sectionData(Section s) throws PyspyException {
        if (!s.hasFileData()) {
            return ByteBuffer.allocate(0).order(ByteOrder.LITTLE_ENDIAN);
        }
        image.checkRange(s.offset, s.size, s.name);
        return buf.slice((int) s.offset, (int) s.size).asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * The bytes of a section as the program reads them: a {@code SHF_COMPRESSED} one (Debian's debug
     * files compress their {@code .debug_*} sections with zlib) inflated into a heap buffer, any
     * other one as {@link #sectionData}.
     */
    public ByteBuffer uncompressedSectionData(Section s) throws PyspyException {
        ByteBuffer raw = sectionData(s);
        if ((s.flags & SHF_COMPRESSED) == 0) {
            return raw;
        }
        // Elf64_Chdr: ch_type, ch_reserved, ch_size, ch_addralign, then the compressed stream
        if (raw.capacity() < 24 || raw.getInt(0) != ELFCOMPRESS_ZLIB) {
            throw image.bad(s.name + ": compressed other than with zlib");
        }
        long size = raw.getLong(8);
        if (size < 0 || size > Integer.MAX_VALUE - 8) {
            throw image.bad(s.name + ": uncompressed size " + size);
        }
        byte[] in = new byte[raw.capacity() - 24];
        raw.get(24, in);
        byte[] out = new byte[(int) size];
        Inflater inflater = new Inflater();
        try {
            inflater.setInput(in);
            int n = 0;
            while (n < out.length && !inflater.finished()) {
                int got = inflater.inflate(out, n, out.length - n);
                if (got == 0 && (inflater.needsInput() || inflater.needsDictionary())) {
                    break;
                }
                n += got;
            }
            if (n != out.length) {
                throw image.bad(s.name + ": inflates to " + n + " bytes, not " + size);
            }
        } catch (DataFormatException e) {
            throw image.bad(s.name + ": " + e.getMessage());
        } finally {
            inflater.end();
        }
        return ByteBuffer.wrap(out).asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * {@code .gnu_debuglink}: the name of a separate debug file (looked for beside the file and under
     * /usr/lib/debug) and the CRC-32 of its contents, which tells the right one from a stale one.
     */
    public record DebugLink(String fileName, int crc) {
    }

    public Optional<DebugLink> debugLink() throws PyspyException {
        Optional<Section> link = section(".gnu_debuglink");
        if (link.isEmpty() || !link.get().hasFileData() || link.get().size < 8) {
            return Optional.empty();
        }
        ByteBuffer b = sectionData(link.get());
        String name = image.cString(link.get().offset, link.get().offset + link.get().size);
        int crcAt = (name.getBytes(StandardCharsets.UTF_8).length + 1 + 3) & ~3;
        if (name.isEmpty() || name.contains("/") || crcAt + 4 > b.capacity()) {
            return Optional.empty();
        }
        return Optional.of(new DebugLink(name, b.getInt(crcAt)));
    }

    /**
     * Every defined function symbol of {@code .symtab} and {@code .dynsym} (both: a stripped file has
     * only the second), in file order; names are the raw (mangled) ones.
     */
    public List<Symbol> functionSymbols() throws PyspyException {
        return symbols.functionSymbols();
    }

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

    @Override
    public String toString() {
        return "ElfFile[" + name + "]";
    }
}

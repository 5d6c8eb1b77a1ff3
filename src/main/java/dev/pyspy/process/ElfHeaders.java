package dev.pyspy.process;

import dev.pyspy.PyspyException;
import dev.pyspy.process.ElfFile.ProgramHeader;
import dev.pyspy.process.ElfFile.Section;

import java.util.ArrayList;
import java.util.List;

/**
 * Parses an ELF file's header tables: the section headers (names resolved through the section name
 * table, extended numbering included) and the program headers (segments).
 */
final class ElfHeaders {
    private static final int SHDR_SIZE = 64;
    private static final int PHDR_SIZE = 56;
    private static final int SHN_XINDEX = 0xffff;
    private static final int PN_XNUM = 0xffff;

    private ElfHeaders() {
    }

    static List<Section> readSections(ElfBytes elf) throws PyspyException {
        long shoff = elf.buf.getLong(40);
        int shentsize = elf.u16(58);
        long shnum = elf.u16(60);
        int shstrndx = elf.u16(62);
        if (shoff == 0) {
            return new ArrayList<>();
        }
        if (shentsize < SHDR_SIZE) {
            throw elf.bad("section header entries of " + shentsize + " bytes");
        }
        elf.checkRange(shoff, SHDR_SIZE, "section header table");
        if (shnum == 0) {
            // Extended numbering: the real count is in section 0's sh_size.
            shnum = elf.buf.getLong((int) shoff + 32);
        }
        if (shstrndx == SHN_XINDEX) {
            shstrndx = elf.buf.getInt((int) shoff + 40);
        }
        if (shnum < 0 || shnum > (elf.fileSize - shoff) / shentsize) {
            throw elf.bad("section header table (" + shnum + " entries at offset " + shoff + ") past end of file");
        }
        List<Section> raw = new ArrayList<>((int) shnum);
        for (int i = 0; i < shnum; i++) {
            int at = (int) (shoff + (long) i * shentsize);
            raw.add(new Section(i, "", elf.buf.getInt(at + 4), elf.buf.getLong(at + 8), elf.buf.getLong(at + 16),
                    elf.buf.getLong(at + 24), elf.buf.getLong(at + 32), elf.buf.getInt(at + 40), elf.buf.getInt(at + 44),
                    elf.buf.getLong(at + 48), elf.buf.getLong(at + 56)));
        }
        if (shstrndx <= 0 || shstrndx >= shnum) {
            return raw; // no section names
        }
        Section names = raw.get(shstrndx);
        elf.checkRange(names.offset(), names.size(), "section name table");
        List<Section> named = new ArrayList<>(raw.size());
        for (int i = 0; i < raw.size(); i++) {
            Section s = raw.get(i);
            int at = (int) (shoff + (long) i * shentsize);
            long nameOff = Integer.toUnsignedLong(elf.buf.getInt(at));
            String sectionName = nameOff < names.size()
                    ? elf.cString(names.offset() + nameOff, names.offset() + names.size()) : "";
            named.add(new Section(i, sectionName, s.type(), s.flags(), s.address(), s.offset(), s.size(), s.link(),
                    s.info(), s.addressAlign(), s.entrySize()));
        }
        return named;
    }

    static List<ProgramHeader> readProgramHeaders(ElfBytes elf, List<Section> sections) throws PyspyException {
        long phoff = elf.buf.getLong(32);
        int phentsize = elf.u16(54);
        long phnum = elf.u16(56);
        if (phoff == 0 || phnum == 0) {
            return new ArrayList<>();
        }
        if (phnum == PN_XNUM && !sections.isEmpty()) {
            phnum = Integer.toUnsignedLong(sections.get(0).info());
        }
        if (phentsize < PHDR_SIZE) {
            throw elf.bad("program header entries of " + phentsize + " bytes");
        }
        if (phoff < 0 || phoff > elf.fileSize || phnum > (elf.fileSize - phoff) / phentsize) {
            throw elf.bad("program header table past end of file");
        }
        List<ProgramHeader> list = new ArrayList<>((int) phnum);
        for (int i = 0; i < phnum; i++) {
            int at = (int) (phoff + (long) i * phentsize);
            list.add(new ProgramHeader(elf.buf.getInt(at), elf.buf.getInt(at + 4), elf.buf.getLong(at + 8),
                    elf.buf.getLong(at + 16), elf.buf.getLong(at + 24), elf.buf.getLong(at + 32), elf.buf.getLong(at + 40),
                    elf.buf.getLong(at + 48)));
        }
        return list;
    }
}

package dev.pyspy.process;

import dev.pyspy.PyspyException;
import dev.pyspy.process.ElfFile.Section;
import dev.pyspy.process.ElfFile.Symbol;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Reads an ELF file's symbol tables ({@code .symtab}, {@code .dynsym}) and their string tables. */
final class ElfSymbols {
    private static final int SYM_SIZE = 24;
    private static final int SHN_UNDEF = 0;

    private final ElfBytes elf;
    private final List<Section> sections;

    ElfSymbols(ElfBytes elf, List<Section> sections) {
        this.elf = elf;
        this.sections = sections;
    }

    /** The first defined symbol named {@code symbolName} in a table of {@code tableType}. */
    Optional<Symbol> lookup(int tableType, String symbolName) throws PyspyException {
        byte[] wanted = symbolName.getBytes(StandardCharsets.UTF_8);
        for (Section table : sections) {
            if (table.type() != tableType) {
                continue;
            }
            if (table.link() <= 0 || table.link() >= sections.size()) {
                throw elf.bad("symbol table " + table.name() + " links to no string table");
            }
            Section strtab = sections.get(table.link());
            elf.checkRange(table.offset(), table.size(), table.name());
            elf.checkRange(strtab.offset(), strtab.size(), strtab.name());
            long entSize = table.entrySize() == 0 ? SYM_SIZE : table.entrySize();
            if (entSize < SYM_SIZE) {
                throw elf.bad("symbol table " + table.name() + " has entries of " + entSize + " bytes");
            }
            long count = table.size() / entSize;
            for (long i = 0; i < count; i++) {
                int at = (int) (table.offset() + i * entSize);
                long nameOffset = Integer.toUnsignedLong(elf.buf.getInt(at));
                int shndx = elf.u16(at + 6);
                if (shndx == SHN_UNDEF || nameOffset >= strtab.size()
                        || !nameEquals(strtab.offset() + nameOffset, strtab.offset() + strtab.size(), wanted)) {
                    continue;
                }
                int info = elf.u8(at + 4);
                return Optional.of(new Symbol(symbolName, elf.buf.getLong(at + 8), elf.buf.getLong(at + 16), info & 0xf,
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
            if (elf.buf.get(s + k) != wanted[k]) {
                return false;
            }
        }
        return elf.buf.get(s + wanted.length) == 0;
    }

    /** Every defined function symbol of both tables, in file order (see {@link ElfFile#functionSymbols}). */
    List<Symbol> functionSymbols() throws PyspyException {
        List<Symbol> out = new ArrayList<>();
        for (Section table : sections) {
            if (table.type() != ElfFile.SHT_SYMTAB && table.type() != ElfFile.SHT_DYNSYM) {
                continue;
            }
            if (table.link() <= 0 || table.link() >= sections.size()) {
                continue;
            }
            Section strtab = sections.get(table.link());
            elf.checkRange(table.offset(), table.size(), table.name());
            elf.checkRange(strtab.offset(), strtab.size(), strtab.name());
            long entSize = table.entrySize() == 0 ? SYM_SIZE : table.entrySize();
            if (entSize < SYM_SIZE) {
                continue;
            }
            long count = table.size() / entSize;
            for (long i = 0; i < count; i++) {
                int at = (int) (table.offset() + i * entSize);
                int info = elf.u8(at + 4);
                int symType = info & 0xf;
                int shndx = elf.u16(at + 6);
                long value = elf.buf.getLong(at + 8);
                long nameOffset = Integer.toUnsignedLong(elf.buf.getInt(at));
                if ((symType != ElfFile.STT_FUNC && symType != ElfFile.STT_GNU_IFUNC) || shndx == SHN_UNDEF
                        || value == 0 || nameOffset >= strtab.size()) {
                    continue;
                }
                String symbolName = elf.cString(strtab.offset() + nameOffset, strtab.offset() + strtab.size());
                out.add(new Symbol(symbolName, value, elf.buf.getLong(at + 16), symType, info >>> 4, shndx));
            }
        }
        return out;
    }
}

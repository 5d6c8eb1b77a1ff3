package dev.pyspy.process;

import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;
import dev.pyspy.PyspyException;
import dev.pyspy.testing.Interpreters;
import dev.pyspy.testing.Interpreters.Interpreter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ElfFileTest {

    /**
     * A Python 3.11+ built as Debian builds it, from the suite's interpreters: a static, stripped,
     * non-PIE executable that exports the runtime ({@code /usr/bin/python3.11} on Debian 12).
     */
    private static Interpreter staticPython;

    private static synchronized Interpreter staticPython() {
        if (staticPython == null) {
            staticPython = findStaticPython();
        }
        return staticPython;
    }

    private static Interpreter findStaticPython() {
        return Interpreters.newest("static stripped non-PIE Python 3.11+ (Debian's)", i -> {
            if (!i.isHostPython3() || i.version() < 311) {
                return false;
            }
            try {
                ElfFile elf = ElfFile.open(i.path());
                return elf.type() == ElfFile.ET_EXEC && elf.section(".symtab").isEmpty()
                        && elf.dynamicSymbol("_PyRuntime").isPresent();
            } catch (Exception e) {
                return false;
            }
        });
    }

    private static Path pythonExecutable() {
        return staticPython().path();
    }

    /** The shared library of a Python 3.6 built with --enable-shared (pyenv's), which keeps its .symtab. */
    private static Path libpython36() {
        Interpreter python = Interpreters.newest("Python 3.6 built with a shared libpython", i -> i.root() == null
                && i.version() == 306 && Files.isRegularFile(libpython36Of(i)));
        return libpython36Of(python);
    }

    private static Path libpython36Of(Interpreter python) {
        return python.path().toAbsolutePath().getParent().resolveSibling("lib").resolve("libpython3.6m.so.1.0");
    }

    @Test
    void strippedDebianPythonHasRuntimeSymbolsInDynsymAndAPyRuntimeSection() throws Exception {
        ElfFile elf = ElfFile.open(pythonExecutable());
        assertEquals(ElfFile.ET_EXEC, elf.type());
        assertEquals(ElfFile.EM_X86_64, elf.machine());
        for (String name : List.of(".dynsym", ".dynstr", ".data", ".bss", ".rodata", ".PyRuntime", ".text")) {
            assertTrue(elf.section(name).isPresent(), name);
        }
        assertTrue(elf.section(".symtab").isEmpty(), "Debian's binary is stripped");

        ElfFile.Section pyRuntime = elf.section(".PyRuntime").orElseThrow();
        ElfFile.Symbol runtime = elf.dynamicSymbol("_PyRuntime").orElseThrow();
        assertEquals(pyRuntime.address(), runtime.value());
        assertTrue(runtime.size() > 1000 && runtime.size() <= pyRuntime.size());
        assertTrue(elf.staticSymbol("_PyRuntime").isEmpty());
        assertEquals(runtime, elf.symbol("_PyRuntime").orElseThrow());
        assertTrue(elf.dynamicSymbol("_PyRuntim").isEmpty(), "exact names only");
        assertTrue(elf.dynamicSymbol("no_such_symbol_anywhere").isEmpty());
    }

    @Test
    void pyVersionIsReadFromTheFileAtItsVirtualAddress() throws Exception {
        Interpreter python = staticPython();
        ElfFile elf = ElfFile.open(python.path());
        ElfFile.Symbol version = elf.dynamicSymbol("Py_Version").orElseThrow();
        assertEquals(8, version.size());
        byte[] hex = elf.readAtAddress(version.value(), 4);
        int pyVersionHex = ByteBuffer.wrap(hex).order(ByteOrder.LITTLE_ENDIAN).getInt();
        int majorMinor = python.version() / 100 << 8 | python.version() % 100;
        assertEquals(majorMinor, pyVersionHex >>> 16, Integer.toHexString(pyVersionHex));
    }

    @Test
    void stringsInRodataAreReadByVirtualAddress() throws Exception {
        ElfFile elf = ElfFile.open(pythonExecutable());
        ElfFile.Section rodata = elf.section(".rodata").orElseThrow();
        byte[] bytes = elf.sectionBytes(rodata);
        byte[] needle = "\0__main__\0".getBytes(StandardCharsets.US_ASCII);
        int at = indexOf(bytes, needle);
        assertTrue(at >= 0);
        assertEquals("__main__", elf.readCString(rodata.address() + at + 1, 100));
        assertEquals("__ma", elf.readCString(rodata.address() + at + 1, 4));
        assertArrayEquals(Arrays.copyOfRange(bytes, at, at + 10), elf.readAtAddress(rodata.address() + at, 10));
    }

    @Test
    void bssReadsAsZeros() throws Exception {
        ElfFile elf = ElfFile.open(pythonExecutable());
        ElfFile.Section bss = elf.section(".bss").orElseThrow();
        assertFalse(bss.hasFileData());
        assertArrayEquals(new byte[16], elf.readAtAddress(bss.address() + 64, 16));
        assertThrows(PyspyException.class, () -> elf.readAtAddress(0x10, 4));
    }

    @Test
    void oldLibpythonHasInterpHeadOnlyInSymtab() throws Exception {
        ElfFile elf = ElfFile.open(libpython36());
        assertEquals(ElfFile.ET_DYN, elf.type());
        assertTrue(elf.section(".symtab").isPresent());
        assertTrue(elf.dynamicSymbol("interp_head").isEmpty());
        ElfFile.Symbol head = elf.staticSymbol("interp_head").orElseThrow();
        assertEquals(8, head.size());
        assertEquals(head, elf.symbol("interp_head").orElseThrow());
        assertTrue(elf.section(".bss").orElseThrow().containsAddress(head.value())
                || elf.section(".data").orElseThrow().containsAddress(head.value()));
        assertTrue(elf.dynamicSymbol("PyEval_GetFrame").isPresent());
        assertEquals(0, elf.lowestLoadAddress());
    }

    @Test
    void loadBiasOfLibcInThisJvmMatchesTheRealAddressOfGetpid() throws Exception {
        List<MemoryMapping> maps = ProcMaps.read((int) ProcessHandle.current().pid());
        MemoryMapping any = maps.stream().filter(m -> m.fileName().startsWith("libc.so")).findFirst().orElseThrow();
        List<MemoryMapping> libcMaps = ProcMaps.ofFile(maps, any.path());
        ElfFile libc = ElfFile.open(Path.of(any.path()));
        long bias = libc.loadBias(libcMaps);
        long expected = Pointer.nativeValue(NativeLibrary.getInstance(Platform.C_LIBRARY_NAME).getFunction("getpid"));
        assertEquals(expected, bias + libc.dynamicSymbol("getpid").orElseThrow().value());
    }

    @Test
    void loadBiasOfANonPieExecutableIsZero() throws Exception {
        ElfFile elf = ElfFile.open(pythonExecutable());
        List<MemoryMapping> maps = ProcMaps.parse("""
                00400000-0041f000 r--p 00000000 fd:01 1315023 /usr/bin/python3.11
                0041f000-006d2000 r-xp 0001f000 fd:01 1315023 /usr/bin/python3.11
                """);
        assertEquals(0, elf.loadBias(maps));
        // Without the offset-0 mapping the bias is found from the segment at the mapped offset.
        assertEquals(0, elf.loadBias(maps.subList(1, 2)));
    }

    @Test
    void loadBiasOfASharedLibraryIsWhereItsFirstPageIsMapped() throws Exception {
        ElfFile elf = ElfFile.open(libpython36());
        List<MemoryMapping> maps = ProcMaps.parse("""
                7f1000005000-7f1000060000 r-xp 0005c000 fd:01 7 /lib/libpython3.6m.so.1.0
                7f1000000000-7f1000005000 r--p 00000000 fd:01 7 /lib/libpython3.6m.so.1.0
                """);
        assertEquals(0x7f1000000000L, elf.loadBias(maps));
        assertThrows(PyspyException.class, () -> elf.loadBias(List.of()));
    }

    @Test
    void emptyShortAndNonElfFilesAreRejected(@TempDir Path dir) throws Exception {
        assertRejected(dir, new byte[0]);
        assertRejected(dir, new byte[] {0x7f, 'E', 'L', 'F'});
        assertRejected(dir, "#!/bin/sh\necho not an elf file, just a script with some padding text...\n"
                .getBytes(StandardCharsets.US_ASCII));
        byte[] random = new byte[8192];
        new Random(1).nextBytes(random);
        assertRejected(dir, random);
        byte[] elf32 = Arrays.copyOf(Files.readAllBytes(pythonExecutable()), 4096);
        elf32[4] = 1;
        assertRejected(dir, elf32);
    }

    @Test
    void truncatedCopiesOfPythonAreRejected(@TempDir Path dir) throws Exception {
        byte[] full = Files.readAllBytes(pythonExecutable());
        assertRejected(dir, Arrays.copyOf(full, 100));
        assertRejected(dir, Arrays.copyOf(full, full.length / 2));
        assertRejected(dir, Arrays.copyOf(full, full.length - 10));
    }

    @Test
    void truncatedDataBehindValidHeadersFailsOnUseNotWithABadRead() throws Exception {
        // Keep the headers but cut the symbol tables: the section header table is moved in front.
        byte[] full = Files.readAllBytes(pythonExecutable());
        ByteBuffer b = ByteBuffer.wrap(full).order(ByteOrder.LITTLE_ENDIAN);
        long shoff = b.getLong(40);
        int shnum = b.getShort(60) & 0xffff;
        int cut = 0x3000; // inside .dynsym
        byte[] small = new byte[cut + shnum * 64 + 0x200];
        System.arraycopy(full, 0, small, 0, cut);
        System.arraycopy(full, (int) shoff, small, cut, shnum * 64);
        ByteBuffer s = ByteBuffer.wrap(small).order(ByteOrder.LITTLE_ENDIAN);
        s.putLong(40, cut);
        // ... and the section name table after it.
        int shstrndx = s.getShort(62) & 0xffff;
        int namesHeader = cut + shstrndx * 64;
        int namesOffset = (int) s.getLong(namesHeader + 24);
        int namesSize = (int) s.getLong(namesHeader + 32);
        assertTrue(namesSize <= 0x200);
        System.arraycopy(full, namesOffset, small, cut + shnum * 64, namesSize);
        s.putLong(namesHeader + 24, cut + shnum * 64);
        ElfFile elf = ElfFile.parse(ByteBuffer.wrap(small), "cut");
        assertTrue(elf.section(".dynsym").isPresent());
        assertThrows(PyspyException.class, () -> elf.dynamicSymbol("_PyRuntime"));
    }

    @Test
    @Timeout(60)
    void randomlyCorruptedHeadersNeverEscapeAsAnythingButPyspyException() throws Exception {
        byte[] original = Files.readAllBytes(Path.of("/usr/bin/true"));
        ByteBuffer ob = ByteBuffer.wrap(original).order(ByteOrder.LITTLE_ENDIAN);
        int shoff = (int) ob.getLong(40);
        Random random = new Random(42);
        int parsed = 0;
        for (int i = 0; i < 3000; i++) {
            byte[] copy = original.clone();
            int flips = 1 + random.nextInt(8);
            for (int k = 0; k < flips; k++) {
                // Corrupt the ELF header, program headers or section header table.
                int at = random.nextBoolean() ? random.nextInt(512)
                        : shoff + random.nextInt(Math.max(1, copy.length - shoff));
                copy[Math.min(at, copy.length - 1)] = (byte) random.nextInt(256);
            }
            try {
                ElfFile elf = ElfFile.parse(ByteBuffer.wrap(copy), "fuzz");
                elf.symbol("main");
                elf.symbol("_start");
                elf.section(".rodata");
                long bias = elf.loadBias(List.of(new MemoryMapping(0x1000, 0x2000, "r--p", 0, "0:0", 1, "/x")));
                for (ElfFile.ProgramHeader p : elf.loadSegments()) {
                    elf.readAtAddress(p.vaddr(), 16);
                    elf.readCString(p.vaddr(), 64);
                }
                for (ElfFile.Section sec : elf.sections()) {
                    if (sec.size() < 1_000_000) {
                        elf.sectionBytes(sec);
                    }
                }
                parsed += bias == Long.MIN_VALUE ? 0 : 1;
            } catch (PyspyException expected) {
                // fine: reported as a bad file
            }
        }
        assertTrue(parsed > 100, "most single-byte corruptions still parse: " + parsed);
    }

    private static void assertRejected(Path dir, byte[] content) throws Exception {
        Path f = Files.createTempFile(dir, "bad", ".elf");
        Files.write(f, content);
        assertThrows(PyspyException.class, () -> {
            ElfFile elf = ElfFile.open(f);
            elf.symbol("_PyRuntime");
        });
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int k = 0; k < needle.length; k++) {
                if (hay[i + k] != needle[k]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}

package dev.pyspy.unwind;

import dev.pyspy.process.ElfFile;
import dev.pyspy.testing.Interpreters;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The line-table decoder against binutils on real files: every row {@code readelf
 * --debug-dump=decodedline} prints (file, line, address, statement flag, sequence ends), and the
 * answer gdb's {@code info line} gives for addresses spread over the code. Files: a program built here with
 * gcc in DWARF 4 and in DWARF 5, an extension module of a pyenv interpreter, its libpython (DWARF 5,
 * several megabytes of line program) and Debian's zlib-compressed debug file of libc.
 */
class SourceLinesTest {

    @TempDir
    Path dir;

    @Test
    void dwarf4RowsAreReadelfsAndLookupsAreGdbs() throws Exception {
        Path lib = build("-gdwarf-4");
        assertRowsMatchReadelf(lib);
        assertLookupsMatchGdb(lib, 1);
    }

    @Test
    void dwarf5RowsAreReadelfsAndLookupsAreGdbs() throws Exception {
        Path lib = build("-gdwarf-5");
        assertRowsMatchReadelf(lib);
        assertLookupsMatchGdb(lib, 1);
    }

    @Test
    void anExtensionModulesRowsAreReadelfsAndLookupsAreGdbs() throws Exception {
        Path zlib = zlibModule();
        assertRowsMatchReadelf(zlib);
        assertLookupsMatchGdb(zlib, 3);
    }

    @Test
    void libpythonLookupsAreGdbsAnswers() throws Exception {
        Path libpython = zlibModule().getParent().getParent().getParent().resolve("libpython3.12.so.1.0");
        Assumptions.assumeTrue(Files.isRegularFile(libpython), "no " + libpython);
        assertLookupsMatchGdb(libpython, 997);
    }

    @Test
    void libcsCompressedDebugFileRowsAreReadelfsAndLookupsAreGdbs() throws Exception {
        Optional<String> id = ElfFile.open(Path.of("/lib/x86_64-linux-gnu/libc.so.6")).buildId();
        Assumptions.assumeTrue(id.isPresent());
        Path debug = ModuleFile.DEBUG_ROOT.resolve(id.get().substring(0, 2)).resolve(id.get().substring(2) + ".debug");
        Assumptions.assumeTrue(Files.isRegularFile(debug), "libc6-dbg is not installed");
        assertTrue(ElfFile.open(debug).section(".debug_line").orElseThrow().flags() != 0, "compressed");
        assertRowsMatchReadelf(debug);
        assertLookupsMatchGdb(debug, 401);
    }

    @Test
    void aFileWithoutLineTablesHasNone() throws Exception {
        Path lib = build("-g0");
        assertNull(SourceLines.of(ElfFile.open(lib)));
    }

    @Test
    void aStrippedFilesLinesComeFromItsDebugLink() throws Exception {
        Path stripped = strippedWithDebugLink();
        ElfFile elf = ElfFile.open(stripped);
        assertNull(SourceLines.of(elf), "the stripped file has no line table of its own");
        ModuleFile module = ModuleFile.parse(elf, stripped, stripped.getFileName().toString(), elf.buildId());
        assertNotNull(module.sourceLines(), "found through .gnu_debuglink");
        SourceLine where = module.sourceLines().find(elf.symbol("level3").orElseThrow().value() + 1);
        assertNotNull(where);
        assertEquals("call_chain.c", where.fileName());
        assertEquals(dir.resolve("call_chain.c").toString(), where.path());
        List<String> source = Files.readAllLines(dir.resolve("call_chain.c"));
        assertTrue(source.get(where.line() - 1).contains("level3"), "line " + where.line() + " is level3's");
    }

    @Test
    void aDebugFileWhoseCrcIsNotTheLinksIsNotUsed() throws Exception {
        Path stripped = strippedWithDebugLink();
        // another build's debug file under the linked name: a stale one
        Path other = build("-gdwarf-4");
        objcopy("--only-keep-debug", other.toString(), dir.resolve("linked.debug").toString());
        ElfFile elf = ElfFile.open(stripped);
        ModuleFile module = ModuleFile.parse(elf, stripped, stripped.getFileName().toString(), elf.buildId());
        assertNull(module.sourceLines());
    }

    /** Truncated or corrupted tables cost lines, never an exception: a bad unit ends the index, a bad sequence its lookup. */
    @Test
    void garbledTablesNeverThrow() throws Exception {
        ElfFile elf = ElfFile.open(zlibModule());
        ByteBuffer good = elf.uncompressedSectionData(elf.section(".debug_line").orElseThrow());
        ByteBuffer lineStrings = sectionOrEmpty(elf, ".debug_line_str");
        java.util.Random random = new java.util.Random(14);
        int answered = 0;
        for (int round = 0; round < 300; round++) {
            byte[] bytes = new byte[good.capacity()];
            good.get(0, bytes);
            int length = round % 3 == 0 ? random.nextInt(bytes.length) : bytes.length;
            for (int flips = 0; flips < 1 + random.nextInt(20); flips++) {
                bytes[random.nextInt(length)] = (byte) random.nextInt(256);
            }
            SourceLines lines = SourceLines.parse(ByteBuffer.wrap(bytes, 0, length).slice(), lineStrings,
                    ByteBuffer.allocate(0));
            for (ElfFile.Symbol s : elf.functionSymbols()) {
                answered += lines.find(s.value() + 3) != null ? 1 : 0;
            }
        }
        assertTrue(answered > 0, "some lookups still answer");
    }

    // ---- helpers

    /** A build whose debug information went into {@code linked.debug}, named by its {@code .gnu_debuglink}. */
    private Path strippedWithDebugLink() throws Exception {
        Path full = build("-gdwarf-5");
        Path debug = dir.resolve("linked.debug");
        Path stripped = dir.resolve("stripped.so");
        objcopy("--only-keep-debug", full.toString(), debug.toString());
        objcopy("--strip-debug", "--add-gnu-debuglink=" + debug, full.toString(), stripped.toString());
        return stripped;
    }

    private void objcopy(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("objcopy"));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), text);
    }

    private Path build(String debug) throws Exception {
        Path source = dir.resolve("call_chain.c");
        if (!Files.exists(source)) {
            try (var in = getClass().getResourceAsStream("/targets/native/call_chain.c")) {
                Files.copy(in, source);
            }
        }
        Path out = dir.resolve("chain" + debug + ".so");
        Process gcc = new ProcessBuilder("gcc", debug, "-O2", "-shared", "-fPIC", "-pthread", "-o", out.toString(),
                source.toString()).redirectErrorStream(true).start();
        String text = new String(gcc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, gcc.waitFor(), text);
        return out;
    }

    private static Path zlibModule() throws IOException {
        Path dynload = Interpreters.all().stream()
                .filter(i -> i.root() == null && i.majorMinor().equals("3.12"))
                .map(i -> i.path().getParent().getParent().resolve("lib/python3.12/lib-dynload"))
                .filter(Files::isDirectory).findFirst().orElse(null);
        Assumptions.assumeTrue(dynload != null, "no pyenv 3.12");
        try (var files = Files.list(dynload)) {
            return files.filter(p -> p.getFileName().toString().startsWith("zlib.")).findFirst().orElseThrow();
        }
    }

    private static final Pattern ROW = Pattern.compile("^(\\S+)\\s+(\\d+|-)\\s+(0x[0-9a-f]+)(?:\\s+\\d+)?(\\s+x)?\\s*$");

    /** Every row of every unit, as readelf prints them: file name, line ("-" ending a sequence), address, "x" for a statement. */
    private static void assertRowsMatchReadelf(Path file) throws Exception {
        List<String> theirs = new ArrayList<>();
        int sections = 0;
        for (String line : run(List.of("readelf", "-W", "--debug-dump=decodedline", file.toString()), null)) {
            if (line.startsWith("Contents of the .debug_line section") && ++sections > 1) {
                break; // readelf prints a debug file's table twice
            }
            Matcher m = ROW.matcher(line);
            if (m.matches()) {
                theirs.add(m.group(1) + " " + m.group(2) + " " + m.group(3) + (m.group(4) != null ? " x" : ""));
            }
        }
        ElfFile elf = ElfFile.open(file);
        ByteBuffer section = elf.uncompressedSectionData(elf.section(".debug_line").orElseThrow());
        ByteBuffer lineStrings = sectionOrEmpty(elf, ".debug_line_str");
        ByteBuffer strings = sectionOrEmpty(elf, ".debug_str");
        List<String> ours = new ArrayList<>();
        int offset = 0;
        while (offset < section.capacity()) {
            LineProgram unit = LineProgram.parse(section, offset, lineStrings, strings);
            unit.run(unit.programStart(), (address, f, line, isStmt, discriminator, end, start) -> {
                String path = unit.file(f);
                String name = path == null ? "?" : path.substring(path.lastIndexOf('/') + 1);
                ours.add(name + " " + (end ? "-" : Integer.toString(line)) + " 0x" + Long.toHexString(address)
                        + (isStmt && !end ? " x" : ""));
                return true;
            });
            offset = unit.end;
        }
        assertTrue(theirs.size() > 10, "readelf printed rows: " + theirs.size());
        assertEquals(theirs.size(), ours.size(), "rows of " + file);
        for (int i = 0; i < theirs.size(); i++) {
            assertEquals(theirs.get(i), ours.get(i), "row " + i + " of " + file);
        }
    }

    private static ByteBuffer sectionOrEmpty(ElfFile elf, String name) throws Exception {
        Optional<ElfFile.Section> s = elf.section(name);
        return s.isPresent() ? elf.uncompressedSectionData(s.get()) : ByteBuffer.allocate(0);
    }

    private static final Pattern GDB_LINE = Pattern.compile("^Line (\\d+) of \"([^\"]*)\".*");

    /**
     * Every {@code step}-th address of every function's code: ours and gdb's ({@code info line *ADDR})
     * file name and line agree. gdb, not addr2line, is the oracle: where several rows share an
     * address the two differ, and gdb's choice (the last row there, or the last statement row if that
     * one is not a statement) is what a debugger user sees.
     */
    private static void assertLookupsMatchGdb(Path file, int step) throws Exception {
        ElfFile elf = ElfFile.open(file);
        SourceLines lines = SourceLines.of(elf);
        assertNotNull(lines, file + " has a line table");
        List<Long> addresses = new ArrayList<>();
        for (ElfFile.Symbol s : elf.functionSymbols()) {
            for (long a = s.value(); a < s.value() + s.size(); a += step) {
                addresses.add(a);
            }
        }
        assertTrue(addresses.size() > 10, "addresses to look up: " + addresses.size());
        Path commands = Files.createTempFile("pyspy-gdb", ".cmd");
        List<String> answers = new ArrayList<>();
        try {
            StringBuilder text = new StringBuilder();
            addresses.forEach(a -> text.append("info line *0x").append(Long.toHexString(a)).append('\n'));
            Files.writeString(commands, text);
            for (String line : run(List.of("gdb", "-nx", "-batch", "-x", commands.toString(), file.toString()), null)) {
                if (line.startsWith("Line ") || line.startsWith("No line number information")) {
                    answers.add(line);
                }
            }
        } finally {
            Files.delete(commands);
        }
        assertEquals(addresses.size(), answers.size(), "gdb answered each address");
        int known = 0;
        for (int i = 0; i < addresses.size(); i++) {
            Matcher m = GDB_LINE.matcher(answers.get(i));
            String expected = !m.matches() || m.group(1).equals("0") ? null
                    : m.group(2).substring(m.group(2).lastIndexOf('/') + 1) + ":" + m.group(1);
            SourceLine s = lines.find(addresses.get(i));
            String got = s == null ? null : s.fileName() + ":" + s.line();
            assertEquals(expected, got, "0x" + Long.toHexString(addresses.get(i)) + " in " + file);
            known += got != null ? 1 : 0;
        }
        assertTrue(known > addresses.size() / 2, "most addresses have a line: " + known + " of " + addresses.size());
    }

    private static List<String> run(List<String> command, String input) throws Exception {
        Path out = Files.createTempFile("pyspy-binutils", ".out");
        try {
            ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(out.toFile())
                    .redirectError(ProcessBuilder.Redirect.DISCARD);
            Process p = pb.start();
            if (input != null) {
                try (var in = p.getOutputStream()) {
                    in.write(input.getBytes(StandardCharsets.UTF_8));
                }
            } else {
                p.getOutputStream().close();
            }
            assertEquals(0, p.waitFor(), String.join(" ", command));
            return Files.readAllLines(out);
        } finally {
            Files.delete(out);
        }
    }
}

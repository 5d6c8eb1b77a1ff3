package dev.pyspy.unwind;

import dev.pyspy.process.ElfFile;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The CFI parser against binutils' own reading of the same files: {@code readelf --debug-dump=frames-interp}
 * prints, for every FDE, the rule of the CFA and of each register at each address where one changes.
 * Every such row of every FDE must be what {@link CfiRow#compute} works out at that address, and
 * what {@link CfiRowCache} keeps of it (its copies; full after 4 096 rows, it starts over).
 */
class CfiTableTest {

    private static final String[] NAMES = {"rax", "rdx", "rcx", "rbx", "rsi", "rdi", "rbp", "rsp", "r8", "r9", "r10",
            "r11", "r12", "r13", "r14", "r15", "ra"};
    private static final Pattern FDE = Pattern.compile(
            "^[0-9a-f]+ [0-9a-f]+ [0-9a-f]+ FDE cie=[0-9a-f]+ pc=([0-9a-f]+)\\.\\.([0-9a-f]+)$");

    @Test
    void libcRulesAreReadelfsAtEveryRow() throws Exception {
        assertRulesMatchReadelf(Path.of("/lib/x86_64-linux-gnu/libc.so.6"));
    }

    @Test
    void sharedLibpythonRulesAreReadelfsAtEveryRow() throws Exception {
        assertRulesMatchReadelf(Path.of(System.getProperty("user.home"),
                ".pyenv/versions/3.12.1/lib/libpython3.12.so.1.0").toRealPath());
    }

    @Test
    void strippedStaticPythonRulesAreReadelfsAtEveryRow() throws Exception {
        assertRulesMatchReadelf(Path.of("/usr/bin/python3.11"));
    }

    private static void assertRulesMatchReadelf(Path file) throws Exception {
        ElfFile elf = ElfFile.open(file);
        ElfFile.Section section = elf.section(".eh_frame").orElseThrow();
        CfiTable table = CfiTable.parse(elf.sectionData(section), section.address(), false);
        List<String> lines = readelf(file);
        CfiRow row = new CfiRow();
        CfiRowCache cache = new CfiRowCache();
        int fdes = 0;
        int rows = 0;
        String[] columns = null;
        long start = 0;
        long end = 0;
        for (String line : lines) {
            Matcher m = FDE.matcher(line);
            if (m.matches()) {
                start = Long.parseUnsignedLong(m.group(1), 16);
                end = Long.parseUnsignedLong(m.group(2), 16);
                columns = null;
                if (end > start) {
                    fdes++;
                    int fde = table.find(start);
                    assertTrue(fde >= 0, "no FDE found for " + line);
                    assertEquals(start, table.start(fde), line);
                    assertEquals(end, table.end(fde), line);
                    assertEquals(fde, table.find(end - 1), line);
                }
                continue;
            }
            if (line.contains(" CIE")) {
                start = end = 0; // the CIE's own rows: no code of their own
                continue;
            }
            if (line.startsWith("   LOC")) {
                columns = line.trim().split("\\s+");
                continue;
            }
            if (columns == null || line.isBlank() || end <= start || !line.matches("^[0-9a-f]{16} .*")) {
                continue;
            }
            // a register rule reads "r9 (r9)": keep the name
            String[] cells = line.trim().replaceAll("r\\d+ \\((\\w+)\\)", "$1").split("\\s+");
            long loc = Long.parseUnsignedLong(cells[0], 16);
            int fde = table.find(loc);
            assertTrue(fde >= 0, file + ": no FDE covers row " + line);
            row.compute(table, fde, loc);
            CfiRow kept = cache.put(loc, file, row);
            assertTrue(kept != row && kept == cache.get(loc, file), "the cache keeps a copy of its own");
            for (CfiRow r : new CfiRow[] {row, kept}) {
                String what = r == row ? " " : " (cached) ";
                assertEquals(cells[1], cfa(r), file + what + "CFA at " + cells[0]);
                for (int c = 2; c < columns.length; c++) {
                    int reg = List.of(NAMES).indexOf(columns[c]);
                    if (reg < 0) {
                        continue; // vector registers: not tracked
                    }
                    String expected = cells[c];
                    String ours = rule(r, reg);
                    if (expected.equals("s")) {
                        expected = "u"; // an explicit same_value is our default rule
                    }
                    assertEquals(expected, ours, file + what + columns[c] + " at " + cells[0]);
                }
            }
            rows++;
        }
        assertTrue(fdes > 100 && rows > fdes, "readelf listed " + fdes + " FDEs, " + rows + " rows");
        int nonEmpty = 0;
        for (int i = 0; i < table.size(); i++) {
            if (table.end(i) > table.start(i)) {
                nonEmpty++;
            }
        }
        assertEquals(fdes, nonEmpty, "FDE count");
    }

    private static String cfa(CfiRow row) {
        if (row.cfaKind == CfiRow.CFA_EXPRESSION) {
            return "exp";
        }
        return NAMES[row.cfaRegister] + (row.cfaOffset >= 0 ? "+" : "") + row.cfaOffset;
    }

    private static String rule(CfiRow row, int reg) {
        long v = row.value[reg];
        return switch (row.kind[reg]) {
            case CfiRow.SAME, CfiRow.UNDEFINED -> "u";
            case CfiRow.OFFSET -> "c" + (v >= 0 ? "+" : "") + v;
            case CfiRow.VAL_OFFSET -> "v" + (v >= 0 ? "+" : "") + v;
            case CfiRow.REGISTER -> NAMES[(int) v];
            case CfiRow.EXPRESSION -> "exp";
            default -> "vexp";
        };
    }

    private static List<String> readelf(Path file) throws IOException, InterruptedException {
        Path out = Files.createTempFile("readelf", ".txt");
        try {
            Process p = new ProcessBuilder("readelf", "--debug-dump=frames-interp", file.toString())
                    .redirectOutput(out.toFile()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            assertTrue(p.waitFor(120, TimeUnit.SECONDS), "readelf finished");
            List<String> all = Files.readAllLines(out, StandardCharsets.UTF_8);
            List<String> ehFrame = new ArrayList<>();
            boolean in = false;
            for (String l : all) {
                if (l.startsWith("Contents of the ")) {
                    in = l.startsWith("Contents of the .eh_frame section");
                }
                if (in) {
                    ehFrame.add(l);
                }
            }
            return ehFrame;
        } finally {
            Files.deleteIfExists(out);
        }
    }
}

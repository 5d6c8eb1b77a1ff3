package dev.pyspy.python;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Checks the decoders against vectors recorded from real interpreters by
 * {@code src/test/resources/linetables/gen_vectors.py}: for every code object of a sample module and
 * every instruction offset, the line CPython's own {@code PyCode_Addr2Line} returned (what
 * {@code f_lineno} reports), plus (f_lasti, f_lineno) pairs read from live frames.
 */
class LineTableTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> VERSIONS =
            List.of("2.7", "3.6", "3.7", "3.8", "3.9", "3.10", "3.11", "3.12", "3.13");

    /** One code object from a vectors file. */
    private record Vector(String version, String format, String unit, int step, String name, int firstLine,
                          int codeLen, byte[] table, int negative, int[] lines, int[][] probes) {
        String where(int arg) {
            return version + " " + name + " (first line " + firstLine + ") " + unit + " " + arg;
        }
    }

    private static List<Vector> load(String version) {
        String resource = "/linetables/vectors-" + version + ".jsonl";
        List<Vector> out = new ArrayList<>();
        try (InputStream in = LineTableTest.class.getResourceAsStream(resource)) {
            assertNotNull(in, "missing test resource " + resource);
            BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            String text;
            while ((text = reader.readLine()) != null) {
                if (text.isBlank()) {
                    continue;
                }
                JsonNode n = JSON.readTree(text);
                int[] lines = new int[n.get("lines").size()];
                for (int i = 0; i < lines.length; i++) {
                    lines[i] = n.get("lines").get(i).asInt();
                }
                int[][] probes = new int[n.get("probes").size()][];
                for (int i = 0; i < probes.length; i++) {
                    JsonNode p = n.get("probes").get(i);
                    probes[i] = new int[] {p.get(0).asInt(), p.get(1).asInt()};
                }
                out.add(new Vector(n.get("version").asText(), n.get("format").asText(), n.get("unit").asText(),
                        n.get("step").asInt(), n.get("name").asText(), n.get("firstlineno").asInt(),
                        n.get("codelen").asInt(), HexFormat.of().parseHex(n.get("table").asText()),
                        n.get("negative").asInt(), lines, probes));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        assertFalse(out.isEmpty(), "no code objects in " + resource);
        return out;
    }

    /** Calls the decoder for the vector's format with the offset in the decoder's own unit. */
    private static int decode(String format, byte[] table, int firstLine, int arg) {
        return switch (format) {
            case "lnotab27" -> LineTable.lnotabLine27(table, firstLine, arg);
            case "lnotab" -> LineTable.lnotabLine(table, firstLine, arg);
            case "linetable310" -> LineTable.linetable310Line(table, firstLine, arg);
            case "locations" -> LineTable.locationTableLine(table, firstLine, arg);
            default -> throw new AssertionError("unknown format " + format);
        };
    }

    private static String expectedFormat(String version) {
        return switch (version) {
            case "2.7" -> "lnotab27";
            case "3.6", "3.7", "3.8", "3.9" -> "lnotab";
            case "3.10" -> "linetable310";
            default -> "locations";
        };
    }

    private static void assertMatchesInterpreter(String version) {
        List<Vector> vectors = load(version);
        int checked = 0;
        for (Vector v : vectors) {
            assertEquals(version, v.version());
            assertEquals(expectedFormat(version), v.format(), "table format of " + version);
            for (int i = 0; i < v.lines().length; i++) {
                int arg = i * v.step();
                assertEquals(v.lines()[i], decode(v.format(), v.table(), v.firstLine(), arg), v.where(arg));
                checked++;
            }
            assertEquals(v.negative(), decode(v.format(), v.table(), v.firstLine(), -2), v.where(-2));
            assertEquals(v.firstLine(), decode(v.format(), v.table(), v.firstLine(), -1), v.where(-1));
        }
        assertTrue(checked > 1000, "only " + checked + " offsets checked for " + version);
    }

    @Test
    void lnotabMatchesCPython27ForEveryByteOffset() {
        assertMatchesInterpreter("2.7");
    }

    @Test
    void lnotabMatchesCPython36ForEveryInstruction() {
        assertMatchesInterpreter("3.6");
    }

    @Test
    void lnotabMatchesCPython37ForEveryInstruction() {
        assertMatchesInterpreter("3.7");
    }

    @Test
    void lnotabMatchesCPython38ForEveryInstruction() {
        assertMatchesInterpreter("3.8");
    }

    @Test
    void lnotabMatchesCPython39ForEveryInstruction() {
        assertMatchesInterpreter("3.9");
    }

    @Test
    void linetableMatchesCPython310ForEveryInstructionIncludingNoLineRanges() {
        assertMatchesInterpreter("3.10");
    }

    @Test
    void locationTableMatchesCPython311ForEveryCodeUnit() {
        assertMatchesInterpreter("3.11");
    }

    @Test
    void locationTableMatchesCPython312ForEveryCodeUnit() {
        assertMatchesInterpreter("3.12");
    }

    @Test
    void locationTableMatchesCPython313ForEveryCodeUnit() {
        assertMatchesInterpreter("3.13");
    }

    @Test
    void vectorsCoverNoLineInstructionsFrom310AndBigLineJumps() {
        for (String version : VERSIONS) {
            List<Vector> vectors = load(version);
            boolean noLine = vectors.stream().anyMatch(v -> Arrays.stream(v.lines()).anyMatch(l -> l == -1));
            boolean hasNoLineConcept = !expectedFormat(version).startsWith("lnotab");
            assertEquals(hasNoLineConcept, noLine, "no-line entries in " + version);
            int maxJump = 0;
            for (Vector v : vectors) {
                for (int i = 1; i < v.lines().length; i++) {
                    if (v.lines()[i] > 0 && v.lines()[i - 1] > 0) {
                        maxJump = Math.max(maxJump, Math.abs(v.lines()[i] - v.lines()[i - 1]));
                    }
                }
            }
            assertTrue(maxJump > 255, "largest line jump in " + version + " is only " + maxJump);
        }
    }

    /** f_lasti as Python exposes it is in bytes in every version; the decoders take their own unit. */
    @Test
    void liveFrameLineNumbersMatchDecodersInEveryVersion() {
        int probes = 0;
        for (String version : VERSIONS) {
            for (Vector v : load(version)) {
                for (int[] probe : v.probes()) {
                    int lastiBytes = probe[0];
                    int arg = v.unit().equals("codeunit") ? lastiBytes / 2 : lastiBytes;
                    assertEquals(probe[1], decode(v.format(), v.table(), v.firstLine(), arg),
                            "live frame at f_lasti " + lastiBytes + ": " + v.where(arg));
                    probes++;
                }
            }
        }
        assertTrue(probes > 200, "only " + probes + " live-frame probes");
    }

    @Test
    void lnotabFollowsTheWorkedExampleOfLnotabNotes() {
        // lnotab_notes.txt: offsets 0, 6, 50, 350, 361 start lines 1, 2, 7, 207, 208 (counting from 0);
        // the 300-byte, 200-line step is written as (255, 0), (45, 127), (0, 73).
        byte[] table = bytes(0, 1, 6, 1, 44, 5, 255, 0, 45, 127, 0, 73, 11, 1);
        int[][] expect = {{0, 1}, {5, 1}, {6, 2}, {49, 2}, {50, 7}, {349, 7}, {350, 207}, {360, 207},
                {361, 208}, {5000, 208}};
        for (int[] e : expect) {
            assertEquals(e[1], LineTable.lnotabLine(table, 0, e[0]), "offset " + e[0]);
            assertEquals(e[1], LineTable.lnotabLine27(table, 0, e[0]), "offset " + e[0]);
        }
    }

    @Test
    void lnotabLineIncrementsAreSignedFrom36AndUnsignedIn27() {
        byte[] table = bytes(0, 200, 4, 1);
        assertEquals(10 + 200, LineTable.lnotabLine27(table, 10, 0));
        assertEquals(10 + 201, LineTable.lnotabLine27(table, 10, 4));
        assertEquals(300 - 56, LineTable.lnotabLine(table, 300, 0));
        assertEquals(300 - 55, LineTable.lnotabLine(table, 300, 4));
    }

    @Test
    void linetable310ReturnsMinusOneForNoLineRangesAndSkipsZeroLengthRanges() {
        // [0,4) line 11; [4,6) no line; zero-length +5; [6,8) line 16 (+0)
        byte[] table = bytes(4, 1, 2, 0x80, 0, 5, 2, 0);
        assertEquals(11, LineTable.linetable310Line(table, 10, 0));
        assertEquals(11, LineTable.linetable310Line(table, 10, 3));
        assertEquals(LineTable.NO_LINE, LineTable.linetable310Line(table, 10, 4));
        assertEquals(LineTable.NO_LINE, LineTable.linetable310Line(table, 10, 5));
        assertEquals(16, LineTable.linetable310Line(table, 10, 6));
        assertEquals(16, LineTable.linetable310Line(table, 10, 7));
        assertEquals(10, LineTable.linetable310Line(table, 10, -1));
    }

    @Test
    void locationTableDecodesEveryEntryKind() {
        byte[] table = bytes(
                0x80 | (3 << 3) | 1, 0x25,             // short form, code 3, 2 units: line +0 -> 100
                0x80 | (12 << 3) | 0, 4, 9,            // one-line form +2, 1 unit -> 102
                0x80 | (14 << 3) | 2, 0x48, 0x03, 0, 1, 2, // long form, svarint +100 (varint 200), 3 units -> 202
                0x80 | (15 << 3) | 0,                  // no location, 1 unit
                0x80 | (13 << 3) | 7, 0x07,            // no columns, svarint -3, 8 units -> 199
                0x80 | (11 << 3) | 0, 1, 2,            // one-line form +1 -> 200
                0x80 | (10 << 3) | 0, 1, 2);           // one-line form +0 -> 200
        int[] expect = {100, 100, 102, 202, 202, 202, -1, 199, 199, 199, 199, 199, 199, 199, 199, 200, 200};
        for (int unit = 0; unit < expect.length; unit++) {
            assertEquals(expect[unit], LineTable.locationTableLine(table, 100, unit), "code unit " + unit);
        }
        assertEquals(100, LineTable.locationTableLine(table, 100, -1));
        assertEquals(200, LineTable.locationTableLine(table, 100, expect.length), "past the end");
    }

    @Test
    void nullAndEmptyTablesGiveTheFirstLine() {
        for (String format : List.of("lnotab27", "lnotab", "linetable310", "locations")) {
            assertEquals(42, decode(format, null, 42, 0), format);
            assertEquals(42, decode(format, new byte[0], 42, 0), format);
            assertEquals(42, decode(format, new byte[0], 42, Integer.MAX_VALUE), format);
            assertEquals(42, decode(format, new byte[] {5}, 42, 10), format + " lone byte");
        }
    }

    @Test
    void truncatedLocationEntriesGiveTheLastLineDecoded() {
        byte[] table = bytes(0x80 | (11 << 3), 1, 2, 0x80 | (14 << 3), 0x48); // varint cut after a continuation chunk
        assertEquals(11, LineTable.locationTableLine(table, 10, 0));
        assertEquals(11, LineTable.locationTableLine(table, 10, 1));
        assertEquals(11, LineTable.locationTableLine(table, 10, 99));
        byte[] interrupted = bytes(0x80 | (13 << 3), 0x48, 0x80 | (10 << 3), 0, 0); // entry starts inside a varint
        assertEquals(10, LineTable.locationTableLine(interrupted, 10, 0));
    }

    @Test
    void truncatedRealTablesAgreeUpToTheCutAndNeverThrow() {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            for (String version : VERSIONS) {
                for (Vector v : load(version)) {
                    Set<Integer> known = new HashSet<>();
                    known.add(v.firstLine());
                    known.add(LineTable.NO_LINE);
                    for (int line : v.lines()) {
                        known.add(line);
                    }
                    int argEnd = v.lines().length * v.step();
                    int cutStep = Math.max(1, v.table().length / 40);
                    for (int cut = 0; cut <= v.table().length; cut += cutStep) {
                        byte[] prefix = Arrays.copyOf(v.table(), cut);
                        int covered = coveredByPrefix(v.format(), v.table(), cut);
                        for (int arg = 0; arg < argEnd; arg += v.step()) {
                            int got = decode(v.format(), prefix, v.firstLine(), arg);
                            if (arg < covered) {
                                assertEquals(v.lines()[arg / v.step()], got, "cut " + cut + ": " + v.where(arg));
                            } else if (v.format().equals("locations")) {
                                assertTrue(known.contains(got), "cut " + cut + " gave " + got + ": " + v.where(arg));
                            }
                        }
                    }
                }
            }
        });
    }

    /** How far (in the decoder's unit) the complete entries of the first {@code cut} table bytes reach. */
    private static int coveredByPrefix(String format, byte[] table, int cut) {
        int covered = 0;
        if (!format.equals("locations")) {
            for (int i = 0; i + 1 < cut; i += 2) {
                covered += table[i] & 0xff;
            }
            return covered;
        }
        for (int i = 0; i < cut; i++) {
            if ((table[i] & 0x80) == 0) {
                continue;
            }
            int next = i + 1;
            while (next < table.length && (table[next] & 0x80) == 0) {
                next++;
            }
            if (next > cut) {
                break;
            }
            covered += (table[i] & 7) + 1;
        }
        return covered;
    }

    @Test
    void randomGarbageTerminatesWithoutThrowing() {
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            Random random = new Random(0x5eed);
            int[] offsets = {Integer.MIN_VALUE, -1, 0, 1, 2, 7, 100, 4096, Integer.MAX_VALUE - 1, Integer.MAX_VALUE};
            for (int round = 0; round < 20_000; round++) {
                byte[] table = new byte[random.nextInt(80)];
                random.nextBytes(table);
                for (String format : List.of("lnotab27", "lnotab", "linetable310", "locations")) {
                    for (int offset : offsets) {
                        decode(format, table, random.nextInt(), offset);
                    }
                    decode(format, table, 1, random.nextInt());
                }
            }
        });
    }

    @Test
    void adversarialTablesTerminate() {
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            int size = 1 << 20;
            byte[] ones = new byte[size];
            Arrays.fill(ones, (byte) 0xff);
            byte[] zeros = new byte[size];
            byte[] endlessVarint = new byte[size];
            Arrays.fill(endlessVarint, (byte) 0x7f);
            endlessVarint[0] = (byte) (0x80 | (14 << 3));
            for (String format : List.of("lnotab27", "lnotab", "linetable310", "locations")) {
                for (byte[] table : List.of(ones, zeros, endlessVarint)) {
                    decode(format, table, 1, Integer.MAX_VALUE);
                    decode(format, table, 1, size / 2);
                }
            }
            // no-location entries all the way: every covered unit has no line, past the end the first line
            assertEquals(LineTable.NO_LINE, LineTable.locationTableLine(ones, 5, 1000));
            assertEquals(5, LineTable.locationTableLine(ones, 5, Integer.MAX_VALUE));
            assertEquals(5, LineTable.locationTableLine(zeros, 5, 0));
            assertEquals(5, LineTable.locationTableLine(endlessVarint, 5, 0));
        });
    }

    private static byte[] bytes(int... values) {
        byte[] out = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = (byte) values[i];
        }
        return out;
    }
}

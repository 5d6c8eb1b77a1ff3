package dev.pyspy.python.opcodes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * The start columns decoded from 3.11+ location tables against what each interpreter's own
 * {@code co_positions()} gave for every code unit of the sample code objects
 * ({@code src/test/resources/linetables/gen_columns.py} wrote the vectors).
 */
class LocationColumnsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"3.11", "3.12", "3.13", "3.14", "3.15"})
    void startColumnIsWhatCoPositionsGivesForEveryCodeUnit(String version) throws Exception {
        String resource = "/linetables/columns-" + version + ".jsonl";
        int checked = 0;
        int longForms = 0;
        try (InputStream in = LocationColumnsTest.class.getResourceAsStream(resource)) {
            assertNotNull(in, "missing test resource " + resource);
            BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            String text;
            while ((text = reader.readLine()) != null) {
                JsonNode n = JSON.readTree(text);
                byte[] table = HexFormat.of().parseHex(n.get("table").asText());
                JsonNode columns = n.get("columns");
                for (int i = 0; i < columns.size(); i++) {
                    int want = columns.get(i).asInt();
                    assertEquals(want, LocationColumns.startColumn(table, i),
                            version + " " + n.get("name").asText() + " code unit " + i);
                    longForms += want >= 128 ? 1 : 0;
                    checked++;
                }
            }
        }
        assertTrue(checked > 1000, "only " + checked + " code units checked for " + version);
        assertTrue(longForms > 0, "the vectors hold no column past 127 (long form entries)");
    }

    @Test
    void anInstructionOutsideTheTableOrANegativeOneHasNoColumn() {
        byte[] oneEntry = {(byte) 0x80, 0x25}; // short form 0, one code unit: column 2
        assertEquals(2, LocationColumns.startColumn(oneEntry, 0));
        assertEquals(LocationColumns.NONE, LocationColumns.startColumn(oneEntry, 1));
        assertEquals(LocationColumns.NONE, LocationColumns.startColumn(oneEntry, -1));
        assertEquals(LocationColumns.NONE, LocationColumns.startColumn(null, 0));
        assertEquals(LocationColumns.NONE, LocationColumns.startColumn(new byte[] {(byte) 0x80}, 0), "cut off");
    }

    @Test
    void garbageTablesNeverThrowAndGiveAColumnInRange() {
        Random random = new Random(17);
        for (int round = 0; round < 20_000; round++) {
            byte[] table = new byte[random.nextInt(40)];
            random.nextBytes(table);
            int column = LocationColumns.startColumn(table, random.nextInt(64));
            assertTrue(column >= LocationColumns.NONE, "column " + column);
        }
    }
}

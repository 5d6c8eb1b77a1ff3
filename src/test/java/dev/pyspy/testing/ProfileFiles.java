package dev.pyspy.testing;

import com.fasterxml.jackson.databind.ObjectMapper;

import javax.xml.parsers.DocumentBuilderFactory;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Checks on profile files pyspy wrote, whatever their format (told by the file name's extension). */
public final class ProfileFiles {
    private ProfileFiles() {
    }

    /** The file is whole: it parses in its format to the end, and a collapsed one has samples. */
    public static void assertComplete(Path file) throws Exception {
        String name = file.getFileName().toString();
        byte[] bytes = Files.readAllBytes(file);
        assertTrue(bytes.length > 0, name + " is empty");
        if (name.endsWith(".svg")) {
            var doc = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(file.toFile());
            assertEquals("svg", doc.getDocumentElement().getNodeName());
        } else if (name.endsWith(".html")) {
            assertTrue(new String(bytes).strip().endsWith("</html>"), name + " ends with </html>");
        } else if (name.endsWith(".json")) {
            new ObjectMapper().readTree(bytes); // fails on a cut JSON document
        } else if (name.endsWith(".pprof")) {
            try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(bytes))) {
                assertTrue(in.readAllBytes().length > 0); // a cut gzip stream fails with EOFException
            }
        } else {
            assertFalse(Collapsed.read(file).isEmpty(), name + " has samples");
        }
    }
}

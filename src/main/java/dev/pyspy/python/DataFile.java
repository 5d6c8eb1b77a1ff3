package dev.pyspy.python;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** A data resource of whitespace-separated fields, a record a line; blank lines and {@code #} comments are skipped. */
final class DataFile {
    private DataFile() {
    }

    /** The records of the class path resource {@code resource}, each as its fields. */
    static List<String[]> records(String resource) {
        List<String[]> records = new ArrayList<>();
        try (InputStream in = DataFile.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + resource);
            }
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                String[] f = line.trim().split("\\s+");
                if (!f[0].isEmpty() && !f[0].startsWith("#")) {
                    records.add(f);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return records;
    }

    /** The error for a record its reader does not understand. */
    static IllegalStateException badRecord(String resource, String[] fields) {
        return new IllegalStateException(resource + ": cannot read line: " + String.join(" ", fields));
    }
}

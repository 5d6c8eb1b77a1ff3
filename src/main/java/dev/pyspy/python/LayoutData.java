package dev.pyspy.python;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

/**
 * Every Python version pyspy knows, as data written by {@code scripts/gen-layouts}: the index
 * ({@code versions.properties}: the tables, the versions with a {@code _Py_DebugOffsets} map, how each
 * table's version encodes line numbers), the tables themselves, and what the debug-offset entries mean
 * ({@code debug-offsets-keys.properties}). Code asks this which versions exist; it names none itself,
 * so a new version is new files (docs/layouts.md, "Adding a version").
 */
public final class LayoutData {
    private static final String DIRECTORY = "dev/pyspy/layouts/";

    /** The data in pyspy's own jar. */
    public static final LayoutData BUNDLED = load(LayoutData.class.getClassLoader());

    private final ClassLoader loader;
    private final List<String> tables;
    private final List<String> debugOffsetVersions;
    private final Map<String, CodeInfo.LineFormat> lineFormats;
    private final DebugOffsetKeys debugOffsetKeys;

    /** What the entries of {@code _Py_DebugOffsets} mean, see {@link DebugOffsets}. */
    record DebugOffsetKeys(Map<String, String> logical, Set<String> zeroMeansAbsent, List<String> sizedSections) {
    }

    private LayoutData(ClassLoader loader, List<String> tables, List<String> debugOffsetVersions,
                       Map<String, CodeInfo.LineFormat> lineFormats, DebugOffsetKeys debugOffsetKeys) {
        this.loader = loader;
        this.tables = tables;
        this.debugOffsetVersions = debugOffsetVersions;
        this.lineFormats = lineFormats;
        this.debugOffsetKeys = debugOffsetKeys;
    }

    /** The data under {@code dev/pyspy/layouts/} as {@code loader} finds it; fails when the index is missing or corrupt. */
    public static LayoutData load(ClassLoader loader) {
        Properties index = properties(loader, "versions.properties");
        List<String> tables = words(index, "tables");
        Map<String, CodeInfo.LineFormat> formats = new HashMap<>();
        for (String table : tables) {
            String format = index.getProperty("line-table." + table);
            try {
                formats.put(table, CodeInfo.LineFormat.valueOf(format == null ? "" : format.trim()));
            } catch (IllegalArgumentException e) {
                throw new IllegalStateException("versions.properties names no known line-table format for " + table
                        + " (line-table." + table + "=" + format + ")");
            }
        }
        Properties keys = properties(loader, "debug-offsets-keys.properties");
        Map<String, String> logical = new LinkedHashMap<>();
        for (String name : keys.stringPropertyNames()) {
            if (name.startsWith("logical.")) {
                logical.put(name.substring("logical.".length()), keys.getProperty(name).trim());
            }
        }
        DebugOffsetKeys debugOffsetKeys = new DebugOffsetKeys(Map.copyOf(logical),
                Set.copyOf(words(keys, "zero-means-absent")), words(keys, "sized-sections"));
        return new LayoutData(loader, tables, words(index, "debug-offsets"), Map.copyOf(formats),
                debugOffsetKeys);
    }

    private static Properties properties(ClassLoader loader, String name) {
        try (InputStream in = loader.getResourceAsStream(DIRECTORY + name)) {
            if (in == null) {
                throw new IllegalStateException("pyspy's layout data lacks " + DIRECTORY + name
                        + " (scripts/gen-layouts --index-only writes it)");
            }
            Properties p = new Properties();
            p.load(in);
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + DIRECTORY + name, e);
        }
    }

    private static List<String> words(Properties p, String key) {
        String value = p.getProperty(key, "").trim();
        return value.isEmpty() ? List.of() : List.of(value.split("\\s+"));
    }

    /** The table names ({@code "2.7"}, {@code "3.13t"}) in version order, each build before its free-threaded one. */
    public List<String> tables() {
        return tables;
    }

    /** The versions ({@code "3.13"}) whose {@code _Py_DebugOffsets} pyspy has a map of. */
    public List<String> debugOffsetVersions() {
        return debugOffsetVersions;
    }

    /** The table for a version's build ({@code "3.12"}, {@code "3.13t"}), or null when the index has none. */
    public Layout table(String name) {
        if (!lineFormats.containsKey(name)) {
            return null;
        }
        return read("python-" + name + ".properties", "layout table for Python " + name, lineFormats.get(name));
    }

    /** The table of the build of {@code version} (free-threaded or not), or null. */
    Layout table(PythonVersion version) {
        return table(tableName(version.major(), version.minor(), version.freeThreaded()));
    }

    /** The newest table of the same build older than {@code version}, or null. */
    Layout newestOlderTable(PythonVersion version) {
        for (int i = tables.size() - 1; i >= 0; i--) {
            String name = tables.get(i);
            int[] n = numbers(name);
            boolean older = n[0] == version.major() && n[1] < version.minor();
            if (older && name.endsWith("t") == version.freeThreaded()) {
                return table(name);
            }
        }
        return null;
    }

    /** Where each entry sits inside the {@code _Py_DebugOffsets} of this minor version, or null if unknown. */
    Layout debugOffsetsMap(PythonVersion version) {
        if (!debugOffsetVersions.contains(version.majorMinor())) {
            return null;
        }
        return read("debug-offsets-" + version.majorMinor() + ".properties",
                "_Py_DebugOffsets layout of Python " + version.majorMinor(), null);
    }

    DebugOffsetKeys debugOffsetKeys() {
        return debugOffsetKeys;
    }

    /** The supported versions for messages: "2.7, 3.6 to 3.15, free-threaded 3.13t to 3.15t". */
    public String describe() {
        List<String> parts = new ArrayList<>();
        runs(tables.stream().filter(t -> !t.endsWith("t")).toList(), "", parts);
        runs(tables.stream().filter(t -> t.endsWith("t")).toList(), "free-threaded ", parts);
        return String.join(", ", parts);
    }

    /** As {@link #describe()}, for the tables that have {@code key} only: "3.8 to 3.15, free-threaded 3.13t". */
    public String describeHaving(String key) {
        List<String> having = tables.stream().filter(t -> table(t).has(key)).toList();
        List<String> parts = new ArrayList<>();
        runs(having.stream().filter(t -> !t.endsWith("t")).toList(), "", parts);
        runs(having.stream().filter(t -> t.endsWith("t")).toList(), "free-threaded ", parts);
        return String.join(", ", parts);
    }

    /** Appends consecutive minor versions of one major as "first to last". */
    private static void runs(List<String> names, String prefix, List<String> parts) {
        int start = 0;
        for (int i = 1; i <= names.size(); i++) {
            boolean breaks = i == names.size() || numbers(names.get(i))[0] != numbers(names.get(i - 1))[0]
                    || numbers(names.get(i))[1] != numbers(names.get(i - 1))[1] + 1;
            if (breaks) {
                String first = names.get(start);
                String last = names.get(i - 1);
                parts.add(prefix + (first.equals(last) ? first : first + " to " + last));
                start = i;
            }
        }
    }

    private static String tableName(int major, int minor, boolean freeThreaded) {
        return major + "." + minor + (freeThreaded ? "t" : "");
    }

    private static int[] numbers(String name) {
        String[] p = name.replace("t", "").split("\\.");
        return new int[]{Integer.parseInt(p[0]), Integer.parseInt(p[1])};
    }

    private Layout read(String file, String description, CodeInfo.LineFormat lineFormat) {
        try (InputStream in = loader.getResourceAsStream(DIRECTORY + file)) {
            if (in == null) {
                throw new IllegalStateException("versions.properties lists " + file + " but pyspy's layout data lacks it");
            }
            return Layout.read(in, description, lineFormat);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + DIRECTORY + file, e);
        }
    }

    @Override
    public String toString() {
        return "layout data for " + describe();
    }
}

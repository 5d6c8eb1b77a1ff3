package dev.pyspy.unwind;

import dev.pyspy.PyspyException;
import dev.pyspy.process.ElfFile;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What the unwinder knows of one ELF file, independent of where it is loaded: its CFI
 * ({@code .eh_frame}, and {@code .debug_frame} when present, from the file or its separate debug
 * file), its function symbols and its line table ({@link SourceLines}: read on first need, since
 * only the frames an output shows need one). Parsed once per file and cached by build id (by path,
 * size and modification time when there is none), so every process and sample shares it.
 */
public final class ModuleFile {

    /** Where Debian installs separate debug files, by build id. */
    static final Path DEBUG_ROOT = Path.of("/usr/lib/debug/.build-id");

    private static final Map<String, ModuleFile> CACHE = new ConcurrentHashMap<>();

    private final String name;
    private final CfiTable ehFrame;
    private final CfiTable debugFrame;
    private final SymbolTable symbols;
    private final boolean hasDebugFile;
    /** Where the line table may be: the file, its build-id debug file (or null), and the file's path for a debug link. */
    private final ElfFile elf;
    private final ElfFile debug;
    private final Path file;
    private SourceLines lines;
    private boolean linesRead;

    private ModuleFile(String name, CfiTable ehFrame, CfiTable debugFrame, SymbolTable symbols, ElfFile elf,
            ElfFile debug, Path file) {
        this.name = name;
        this.ehFrame = ehFrame;
        this.debugFrame = debugFrame;
        this.symbols = symbols;
        this.hasDebugFile = debug != null;
        this.elf = elf;
        this.debug = debug;
        this.file = file;
    }

    /** The parsed file, from the cache when it was seen before. */
    public static ModuleFile of(ElfFile elf, Path file, String name) throws PyspyException {
        Optional<String> buildId = elf.buildId();
        String key;
        if (buildId.isPresent()) {
            key = buildId.get();
        } else {
            try {
                key = file.toRealPath() + ":" + Files.size(file) + ":" + Files.getLastModifiedTime(file).toMillis();
            } catch (java.io.IOException e) {
                key = file.toString();
            }
        }
        ModuleFile cached = CACHE.get(key);
        if (cached != null) {
            return cached;
        }
        ModuleFile parsed = parse(elf, file, name, buildId);
        CACHE.put(key, parsed);
        return parsed;
    }

    static ModuleFile parse(ElfFile elf, Path file, String name, Optional<String> buildId) throws PyspyException {
        ElfFile debug = buildId.flatMap(ModuleFile::debugFile).orElse(null);
        CfiTable eh = cfi(elf, ".eh_frame", false);
        CfiTable df = cfi(elf, ".debug_frame", true);
        List<ElfFile.Symbol> symbols = new ArrayList<>(elf.functionSymbols());
        if (debug != null) {
            if (df == null) {
                df = cfi(debug, ".debug_frame", true);
            }
            symbols.addAll(debug.functionSymbols());
        }
        return new ModuleFile(name, eh, df, SymbolTable.of(symbols), elf, debug, file);
    }

    private static Optional<ElfFile> debugFile(String buildId) {
        if (buildId.length() < 3) {
            return Optional.empty();
        }
        Path p = DEBUG_ROOT.resolve(buildId.substring(0, 2)).resolve(buildId.substring(2) + ".debug");
        if (!Files.isRegularFile(p)) {
            return Optional.empty();
        }
        try {
            return Optional.of(ElfFile.open(p));
        } catch (PyspyException e) {
            return Optional.empty(); // a broken debug file only costs names
        }
    }

    private static CfiTable cfi(ElfFile elf, String section, boolean debugFrame) throws PyspyException {
        Optional<ElfFile.Section> s = elf.section(section);
        if (s.isEmpty() || !s.get().hasFileData() || s.get().size() == 0) {
            return null;
        }
        return CfiTable.parse(elf.sectionData(s.get()), s.get().address(), debugFrame);
    }

    /** The file's name as frames show it ({@code libc.so.6}). */
    public String name() {
        return name;
    }

    /** {@code .eh_frame}'s table, or null. */
    public CfiTable ehFrame() {
        return ehFrame;
    }

    /** {@code .debug_frame}'s table (file or debug file), or null. */
    public CfiTable debugFrame() {
        return debugFrame;
    }

    public SymbolTable symbols() {
        return symbols;
    }

    public boolean hasDebugFile() {
        return hasDebugFile;
    }

    /**
     * The line table: the file's own, else its debug file's (by build id, else by its
     * {@code .gnu_debuglink}); null when none has one. Read on the first call; a table that cannot
     * be read only costs lines.
     */
    public synchronized SourceLines sourceLines() {
        if (!linesRead) {
            linesRead = true;
            try {
                lines = SourceLines.of(elf);
                if (lines == null && debug != null) {
                    lines = SourceLines.of(debug);
                }
                if (lines == null) {
                    ElfFile linked = DebugLinks.find(elf, file);
                    lines = linked == null ? null : SourceLines.of(linked);
                }
            } catch (PyspyException | CfiException e) {
                lines = null;
            }
        }
        return lines;
    }
}

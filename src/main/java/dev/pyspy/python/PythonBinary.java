package dev.pyspy.python;

import dev.pyspy.ExitCode;
import dev.pyspy.PyspyException;
import dev.pyspy.process.ElfFile;
import dev.pyspy.process.MemoryMapping;
import dev.pyspy.process.ProcFs;

import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The ELF file that holds the interpreter inside a target: {@code libpythonX.Y.so} when the
 * interpreter is a shared library, otherwise the executable itself (static builds).
 *
 * @param pathInTarget the path as the target's maps show it
 * @param elf          the file, opened through {@code /proc/PID/root} so containers and chroots work
 * @param loadBias     what to add to the file's virtual addresses to get addresses in the target
 * @param mappings     the target's mappings of this file
 */
public record PythonBinary(String pathInTarget, ElfFile elf, long loadBias, List<MemoryMapping> mappings) {

    private static final Pattern LIBPYTHON = Pattern.compile("/libpython(\\d)\\.(\\d+)(t?)(?:m|d|u)*\\.so[.0-9]*$");
    private static final Pattern PYTHON_EXE = Pattern.compile("/python(\\d)?\\.?(\\d+)?(t?)[^/]*$");

    public static PythonBinary find(int pid, List<MemoryMapping> maps, String exePath) throws PyspyException {
        String chosen = choose(maps, exePath);
        List<MemoryMapping> own = maps.stream().filter(m -> chosen.equals(m.path())).toList();
        if (own.isEmpty()) {
            throw new PyspyException(ExitCode.NOT_PYTHON, "process " + pid + " has no Python interpreter mapped ("
                    + exePath + " is not a Python executable and no libpython is loaded)");
        }
        Path file = ProcFs.openableFile(pid, own.get(0));
        ElfFile elf = ElfFile.open(file);
        long bias = elf.loadBias(own);
        return new PythonBinary(chosen, elf, bias, own);
    }

    /** The path of the file that holds the interpreter: a mapped libpython, else the executable. */
    public static String choose(List<MemoryMapping> maps, String exePath) {
        for (MemoryMapping m : maps) {
            if (m.path() != null && LIBPYTHON.matcher(stripDeleted(m.path())).find()) {
                return m.path();
            }
        }
        return stripDeleted(exePath);
    }

    static String stripDeleted(String path) {
        return path.endsWith(" (deleted)") ? path.substring(0, path.length() - " (deleted)".length()) : path;
    }

    public boolean isSharedLibrary() {
        return LIBPYTHON.matcher(stripDeleted(pathInTarget)).find();
    }

    /** Address in the target of a symbol from .dynsym or .symtab, or 0 when the binary lacks it. */
    public long symbolAddress(String name) {
        try {
            return elf.symbol(name).map(s -> s.value() + loadBias).orElse(0L);
        } catch (PyspyException e) {
            return 0; // a damaged symbol table is treated like a stripped one
        }
    }

    /** Version guessed from the file name (python3.12, libpython3.13t.so), or null. */
    public PythonVersion versionFromName() {
        String p = stripDeleted(pathInTarget);
        Matcher m = LIBPYTHON.matcher(p);
        if (m.find()) {
            return PythonVersion.of(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)), 0)
                    .withFreeThreaded(!m.group(3).isEmpty());
        }
        m = PYTHON_EXE.matcher(p);
        if (m.find() && m.group(1) != null && m.group(2) != null) {
            return PythonVersion.of(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)), 0)
                    .withFreeThreaded(!m.group(3).isEmpty());
        }
        return null;
    }

    /** True when the file name says free-threaded ({@code python3.13t}, {@code libpython3.13t.so}). */
    public boolean nameSaysFreeThreaded() {
        PythonVersion v = versionFromName();
        return v != null && v.freeThreaded();
    }
}

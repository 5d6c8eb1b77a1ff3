package dev.pyspy.python;

import dev.pyspy.process.ElfFile;
import dev.pyspy.process.ProcessMemory;
import dev.pyspy.process.MemoryReadException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Determines the target's Python version, most reliable source first: the {@code Py_Version} symbol
 * (3.11+), the {@code _Py_DebugOffsets} header at the start of {@code _PyRuntime} (3.13+), the
 * version string {@code Py_GetVersion} leaves in the binary's writable data, the binary's name.
 */
final class VersionDetector {
    /** "3.9.18 (main, Jan  1 2024, ...) [GCC ...]" as Py_GetVersion formats it. */
    private static final Pattern VERSION_STRING =
            Pattern.compile("([23])\\.(\\d{1,2})\\.(\\d{1,2})((?:a|b|rc)\\d{1,2})?\\+? \\(");
    private static final int MAX_SCAN_BYTES = 32 << 20;

    private VersionDetector() {
    }

    static PythonVersion detect(ProcessMemory memory, PythonBinary binary, long runtimeSymbol) {
        PythonVersion v = fromPyVersionSymbol(memory, binary);
        if (v == null && DebugOffsets.hasCookie(memory, runtimeSymbol)) {
            try {
                v = PythonVersion.fromHex(DebugOffsets.versionHex(memory, runtimeSymbol));
            } catch (MemoryReadException e) {
                v = null;
            }
        }
        if (v == null) {
            v = fromVersionString(memory, binary);
        }
        if (v == null) {
            v = binary.versionFromName();
        }
        return v;
    }

    private static PythonVersion fromPyVersionSymbol(ProcessMemory memory, PythonBinary binary) {
        long address = binary.symbolAddress("Py_Version");
        if (address == 0) {
            return null;
        }
        try {
            ByteBuffer buf = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
            memory.read(address, buf, 4);
            long hex = buf.getInt(0) & 0xffffffffL;
            return hex >>> 24 >= 2 ? PythonVersion.fromHex(hex) : null;
        } catch (MemoryReadException e) {
            return null;
        }
    }

    private static PythonVersion fromVersionString(ProcessMemory memory, PythonBinary binary) {
        for (String name : new String[]{".bss", ".data"}) {
            ElfFile.Section section = binary.elf().section(name).orElse(null);
            if (section == null || section.size() <= 0 || section.size() > MAX_SCAN_BYTES) {
                continue;
            }
            int size = (int) section.size();
            ByteBuffer buf = ByteBuffer.allocate(size);
            try {
                memory.read(section.address() + binary.loadBias(), buf, size);
            } catch (MemoryReadException e) {
                continue;
            }
            String text = new String(buf.array(), 0, size, StandardCharsets.ISO_8859_1);
            Matcher m = VERSION_STRING.matcher(text);
            while (m.find()) {
                PythonVersion v = PythonVersion.parse(m.group());
                if (v != null) {
                    return v;
                }
            }
        }
        return null;
    }
}

package dev.pyspy.python;

import dev.pyspy.ExitCode;
import dev.pyspy.PyspyException;
import dev.pyspy.process.ProcessMemory;
import dev.pyspy.process.MemoryReadException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * Reads the target's own {@code _Py_DebugOffsets} (3.13+): the struct CPython places at the start of
 * {@code _PyRuntime}, marked by the cookie "xdebugpy", telling where its fields live in this very build.
 * Where each entry sits inside the struct is itself version data ({@code debug-offsets-X.Y.properties}),
 * and so is what each entry means to pyspy ({@code debug-offsets-keys.properties}), both from {@link LayoutData}.
 */
final class DebugOffsets {
    static final byte[] COOKIE = "xdebugpy".getBytes(StandardCharsets.US_ASCII);

    private DebugOffsets() {
    }

    static boolean hasCookie(ProcessMemory memory, long runtime) {
        if (runtime == 0) {
            return false;
        }
        try {
            ByteBuffer buf = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
            memory.read(runtime, buf, 16);
            for (int i = 0; i < COOKIE.length; i++) {
                if (buf.get(i) != COOKIE[i]) {
                    return false;
                }
            }
            return true;
        } catch (MemoryReadException e) {
            return false;
        }
    }

    /** PY_VERSION_HEX stored right after the cookie. */
    static long versionHex(ProcessMemory memory, long runtime) throws MemoryReadException {
        ByteBuffer buf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        memory.read(runtime + 8, buf, 8);
        return buf.getLong(0);
    }

    /**
     * Checks every offset the target declares against the size it declares for the same struct
     * ({@code thread_state.current_frame < thread_state.size}, ...): a wrong struct map or a
     * damaged struct shows up here, naming the entry, instead of as garbage stacks.
     */
    private static void checkSectionSizes(LayoutData.DebugOffsetKeys keys, Layout struct, ByteBuffer buf,
                                          PythonVersion version) throws PyspyException {
        for (String section : keys.sizedSections()) {
            String sizeKey = section + ".size";
            if (!struct.has(sizeKey)) {
                continue;
            }
            long size = buf.getLong(struct.offset(sizeKey));
            if (size <= 0 || size > (1 << 24)) {
                throw corrupt(version, sizeKey + " = " + size);
            }
            for (Map.Entry<String, Long> e : struct.values().entrySet()) {
                String key = e.getKey();
                if (!key.startsWith(section + ".") || key.equals(sizeKey) || key.endsWith("_size")) {
                    continue;
                }
                long value = buf.getLong((int) (long) e.getValue());
                if (value < 0 || value >= size) {
                    if (value == 0 && keys.zeroMeansAbsent().contains(key)) {
                        continue;
                    }
                    throw corrupt(version, key + " = " + value + " lies outside " + sizeKey + " = " + size);
                }
            }
        }
    }

    private static PyspyException corrupt(PythonVersion version, String what) {
        return new PyspyException(ExitCode.UNSUPPORTED_VERSION, "the _Py_DebugOffsets of this Python " + version
                + " do not fit pyspy's map of that struct (" + what + "): pyspy cannot read this build");
    }

    /** Whether the target's debug offsets declare a free-threaded build. */
    static boolean freeThreaded(ProcessMemory memory, long runtime, Layout struct) throws MemoryReadException {
        if (!struct.has("free_threaded")) {
            return false;
        }
        ByteBuffer buf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        memory.read(runtime + struct.offsetOr("free_threaded", 0), buf, 8);
        return buf.getLong(0) != 0;
    }

    /**
     * Reads the target's debug offsets and returns them under the walker's logical keys, laid over
     * {@code base} (a generated table that supplies what the debug offsets do not describe, e.g. dicts).
     */
    static Layout read(LayoutData data, ProcessMemory memory, long runtime, PythonVersion version, Layout base)
            throws PyspyException {
        Layout struct = data.debugOffsetsMap(version);
        LayoutData.DebugOffsetKeys keys = data.debugOffsetKeys();
        if (struct == null) {
            throw new PyspyException(ExitCode.UNSUPPORTED_VERSION, "Python " + version
                    + " is not supported: pyspy does not know where the fields of its _Py_DebugOffsets sit (no debug-offsets-"
                    + version.majorMinor() + ".properties; scripts/gen-layouts makes it from that version's headers)");
        }
        int size = struct.offset("sizeof");
        ByteBuffer buf = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        memory.read(runtime, buf, size);
        checkSectionSizes(keys, struct, buf, version);
        Map<String, Long> found = new HashMap<>();
        for (Map.Entry<String, String> e : keys.logical().entrySet()) {
            if (struct.has(e.getKey())) {
                long value = buf.getLong(struct.offset(e.getKey()));
                if (value == 0 && keys.zeroMeansAbsent().contains(e.getKey())) {
                    continue;
                }
                found.put(e.getValue(), value);
            }
        }
        // The GIL's fields are given relative to the interpreter state; the walker wants them
        // relative to the gil struct that ceval.gil points to.
        if (struct.has("interpreter_state.gil_runtime_state")) {
            long gil = buf.getLong(struct.offset("interpreter_state.gil_runtime_state"));
            found.put("_gil_runtime_state.locked",
                    buf.getLong(struct.offset("interpreter_state.gil_runtime_state_locked")) - gil);
            found.put("_gil_runtime_state.last_holder",
                    buf.getLong(struct.offset("interpreter_state.gil_runtime_state_holder")) - gil);
        }
        for (Map.Entry<String, Long> e : found.entrySet()) {
            if (e.getValue() < 0 || e.getValue() > (1 << 20)) {
                throw new PyspyException(ExitCode.UNSUPPORTED_VERSION, "the target's _Py_DebugOffsets look corrupt ("
                        + e.getKey() + " = " + e.getValue() + ")");
            }
        }
        Map<String, Long> all = new HashMap<>(found);
        if (base == null) {
            return new Layout("_Py_DebugOffsets of Python " + version, all);
        }
        return base.overriddenBy("_Py_DebugOffsets of Python " + version + " over " + base, all);
    }
}

package dev.pyspy.python;

import dev.pyspy.ExitCode;
import dev.pyspy.PyspyException;
import dev.pyspy.process.Memory;
import dev.pyspy.process.MemoryReadException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads the target's own {@code _Py_DebugOffsets} (3.13+): the struct CPython places at the start of
 * {@code _PyRuntime}, marked by the cookie "xdebugpy", telling where its fields live in this very build.
 * Where each entry sits inside the struct is itself version data ({@code debug-offsets-X.Y.properties}).
 */
final class DebugOffsets {
    static final byte[] COOKIE = "xdebugpy".getBytes(StandardCharsets.US_ASCII);

    /** Debug-struct entry (C path) → the walker's logical key. */
    private static final Map<String, String> LOGICAL = new LinkedHashMap<>();

    static {
        LOGICAL.put("runtime_state.interpreters_head", "_PyRuntimeState.interpreters_head");
        LOGICAL.put("interpreter_state.next", "PyInterpreterState.next");
        LOGICAL.put("interpreter_state.threads_head", "PyInterpreterState.tstate_head");
        LOGICAL.put("interpreter_state.imports_modules", "PyInterpreterState.modules");
        LOGICAL.put("interpreter_state.ceval_gil", "PyInterpreterState.gil");
        LOGICAL.put("thread_state.size", "sizeof.PyThreadState");
        LOGICAL.put("thread_state.next", "PyThreadState.next");
        LOGICAL.put("thread_state.interp", "PyThreadState.interp");
        LOGICAL.put("thread_state.current_frame", "PyThreadState.current_frame");
        LOGICAL.put("thread_state.thread_id", "PyThreadState.thread_id");
        LOGICAL.put("thread_state.native_thread_id", "PyThreadState.native_thread_id");
        LOGICAL.put("thread_state.datastack_chunk", "PyThreadState.datastack_chunk");
        LOGICAL.put("interpreter_frame.size", "sizeof._PyInterpreterFrame");
        LOGICAL.put("interpreter_frame.previous", "_PyInterpreterFrame.previous");
        LOGICAL.put("interpreter_frame.executable", "_PyInterpreterFrame.executable");
        LOGICAL.put("interpreter_frame.instr_ptr", "_PyInterpreterFrame.instr");
        LOGICAL.put("interpreter_frame.localsplus", "_PyInterpreterFrame.localsplus");
        LOGICAL.put("interpreter_frame.owner", "_PyInterpreterFrame.owner");
        LOGICAL.put("code_object.size", "sizeof.PyCodeObject");
        LOGICAL.put("code_object.filename", "PyCodeObject.co_filename");
        LOGICAL.put("code_object.name", "PyCodeObject.co_name");
        LOGICAL.put("code_object.qualname", "PyCodeObject.co_qualname");
        LOGICAL.put("code_object.linetable", "PyCodeObject.co_linetable");
        LOGICAL.put("code_object.firstlineno", "PyCodeObject.co_firstlineno");
        LOGICAL.put("code_object.argcount", "PyCodeObject.co_argcount");
        LOGICAL.put("code_object.localsplusnames", "PyCodeObject.co_localsplusnames");
        LOGICAL.put("code_object.localspluskinds", "PyCodeObject.co_localspluskinds");
        LOGICAL.put("code_object.co_code_adaptive", "PyCodeObject.co_code_adaptive");
        LOGICAL.put("pyobject.ob_type", "PyObject.ob_type");
        LOGICAL.put("type_object.tp_name", "PyTypeObject.tp_name");
        LOGICAL.put("type_object.tp_flags", "PyTypeObject.tp_flags");
        LOGICAL.put("tuple_object.ob_item", "PyTupleObject.ob_item");
        LOGICAL.put("tuple_object.ob_size", "PyVarObject.ob_size");
        LOGICAL.put("list_object.ob_item", "PyListObject.ob_item");
        LOGICAL.put("dict_object.ma_keys", "PyDictObject.ma_keys");
        LOGICAL.put("dict_object.ma_values", "PyDictObject.ma_values");
        LOGICAL.put("float_object.ob_fval", "PyFloatObject.ob_fval");
        LOGICAL.put("long_object.lv_tag", "PyLongObject.lv_tag");
        LOGICAL.put("long_object.ob_digit", "PyLongObject.ob_digit");
        LOGICAL.put("bytes_object.ob_sval", "PyBytesObject.ob_sval");
        LOGICAL.put("unicode_object.state", "PyASCIIObject.state");
        LOGICAL.put("unicode_object.length", "PyASCIIObject.length");
        LOGICAL.put("unicode_object.asciiobject_size", "sizeof.PyASCIIObject");
        // 3.14+
        LOGICAL.put("interpreter_frame.stackpointer", "_PyInterpreterFrame.stackpointer");
        LOGICAL.put("type_object.tp_basicsize", "PyTypeObject.tp_basicsize");
        LOGICAL.put("type_object.tp_dictoffset", "PyTypeObject.tp_dictoffset");
        LOGICAL.put("heap_type_object.ht_cached_keys", "PyHeapTypeObject.ht_cached_keys");
        LOGICAL.put("heap_type_object.size", "sizeof.PyHeapTypeObject");
        LOGICAL.put("unicode_object.compactunicodeobject_size", "sizeof.PyCompactUnicodeObject");
        // free-threaded only (0 in other builds, where the fields do not exist)
        LOGICAL.put("interpreter_frame.tlbc_index", "_PyInterpreterFrame.tlbc_index");
        LOGICAL.put("code_object.co_tlbc", "PyCodeObject.co_tlbc");
        // declared sizes of the structs
        LOGICAL.put("runtime_state.size", "sizeof._PyRuntimeState");
        LOGICAL.put("interpreter_state.size", "sizeof.PyInterpreterState");
        LOGICAL.put("pyobject.size", "sizeof.PyObject");
        LOGICAL.put("type_object.size", "sizeof.PyTypeObject");
        LOGICAL.put("tuple_object.size", "sizeof.PyTupleObject");
        LOGICAL.put("list_object.size", "sizeof.PyListObject");
        LOGICAL.put("dict_object.size", "sizeof.PyDictObject");
        LOGICAL.put("float_object.size", "sizeof.PyFloatObject");
        LOGICAL.put("long_object.size", "sizeof.PyLongObject");
        LOGICAL.put("bytes_object.size", "sizeof.PyBytesObject");
        LOGICAL.put("unicode_object.size", "sizeof.PyUnicodeObject");
    }

    /** Entries whose value is an offset only in free-threaded builds; 0 means "no such field". */
    private static final java.util.Set<String> ZERO_MEANS_ABSENT = java.util.Set.of(
            "interpreter_frame.tlbc_index", "code_object.co_tlbc", "interpreter_state.gil_runtime_state_enabled",
            "interpreter_state.tlbc_generation");

    /**
     * Sections whose {@code size} declares the size of the struct their other entries are offsets
     * into: every such offset must lie inside it (entries ending in {@code _size} are sizes, not offsets).
     */
    private static final java.util.List<String> SIZED_SECTIONS = java.util.List.of("runtime_state", "interpreter_state",
            "thread_state", "interpreter_frame", "code_object", "pyobject", "type_object", "heap_type_object",
            "tuple_object", "list_object", "dict_object", "float_object", "long_object", "bytes_object", "unicode_object");

    private DebugOffsets() {
    }

    static boolean hasCookie(Memory memory, long runtime) {
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
    static long versionHex(Memory memory, long runtime) throws MemoryReadException {
        ByteBuffer buf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        memory.read(runtime + 8, buf, 8);
        return buf.getLong(0);
    }

    /**
     * Checks every offset the target declares against the size it declares for the same struct
     * ({@code thread_state.current_frame < thread_state.size}, ...): a wrong struct map or a
     * damaged struct shows up here, naming the entry, instead of as garbage stacks.
     */
    private static void checkSectionSizes(Layout struct, ByteBuffer buf, PythonVersion version) throws PyspyException {
        for (String section : SIZED_SECTIONS) {
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
                    if (value == 0 && ZERO_MEANS_ABSENT.contains(key)) {
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

    /** The position of each entry inside the debug struct of this minor version, or null if unknown. */
    static Layout structLayout(PythonVersion version) {
        return Layout.fromResource("/dev/pyspy/layouts/debug-offsets-" + version.majorMinor() + ".properties",
                "_Py_DebugOffsets layout of Python " + version.majorMinor());
    }

    /** Whether the target's debug offsets declare a free-threaded build. */
    static boolean freeThreaded(Memory memory, long runtime, Layout struct) throws MemoryReadException {
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
    static Layout read(Memory memory, long runtime, PythonVersion version, Layout base) throws PyspyException {
        Layout struct = structLayout(version);
        if (struct == null) {
            throw new PyspyException(ExitCode.UNSUPPORTED_VERSION, "Python " + version
                    + " is not supported: pyspy does not know where the fields of its _Py_DebugOffsets sit (no debug-offsets-"
                    + version.majorMinor() + ".properties; scripts/gen-layouts makes it from that version's headers)");
        }
        int size = struct.offset("sizeof");
        ByteBuffer buf = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        memory.read(runtime, buf, size);
        checkSectionSizes(struct, buf, version);
        Map<String, Long> found = new HashMap<>();
        for (Map.Entry<String, String> e : LOGICAL.entrySet()) {
            if (struct.has(e.getKey())) {
                long value = buf.getLong(struct.offset(e.getKey()));
                if (value == 0 && ZERO_MEANS_ABSENT.contains(e.getKey())) {
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

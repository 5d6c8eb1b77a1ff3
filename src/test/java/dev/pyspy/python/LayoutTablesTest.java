package dev.pyspy.python;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Sanity of the generated layout tables ({@code scripts/gen-layouts}, see docs/layouts.md): every
 * supported version has one, each has the keys the walker needs for that version (and none that the
 * version does not have), every offset lies inside its struct, and the values that are fixed by the
 * C ABI of a 64-bit non-debug build are what they must be.
 */
class LayoutTablesTest {

    static List<String> tables() {
        return LayoutData.BUNDLED.tables();
    }

    static List<String> debugOffsetVersions() {
        return LayoutData.BUNDLED.debugOffsetVersions();
    }

    /** A key the walker needs, for versions {@code from..to} inclusive (major*100+minor). */
    private record Required(String key, int from, int to) {
        boolean appliesTo(int v) {
            return v >= from && v <= to;
        }
    }

    private static final int ANY = 0;
    private static final int LAST = 9999;
    private static final List<Required> REQUIRED = new ArrayList<>();

    private static void req(int from, int to, String... keys) {
        for (String k : keys) {
            REQUIRED.add(new Required(k, from, to));
        }
    }

    static {
        req(ANY, LAST, "const.PY_VERSION_HEX", "PyObject.ob_type", "PyVarObject.ob_size",
                "PyTypeObject.tp_name", "PyTypeObject.tp_basicsize", "PyTypeObject.tp_dictoffset",
                "PyTypeObject.tp_flags",
                "PyInterpreterState.next", "PyInterpreterState.tstate_head", "PyInterpreterState.modules",
                "PyThreadState.next", "PyThreadState.interp", "PyThreadState.thread_id", "sizeof.PyThreadState",
                "PyCodeObject.co_name", "PyCodeObject.co_filename", "PyCodeObject.co_firstlineno",
                "PyCodeObject.co_linetable", "PyCodeObject.co_argcount", "PyCodeObject.co_nlocals",
                "PyCodeObject.co_flags", "sizeof.PyCodeObject",
                "PyTupleObject.ob_item", "PyListObject.ob_item", "PyFloatObject.ob_fval",
                "PyLongObject.ob_digit", "const.PyLong_SHIFT", "sizeof.digit",
                "PyDictObject.ma_used", "PyModuleObject.md_dict");
        req(306, LAST, "PyHeapTypeObject.ht_cached_keys");
        req(307, LAST, "_PyRuntimeState.interpreters_head");
        req(307, 311, "_PyRuntimeState.tstate_current", "_PyRuntimeState.gil");
        req(307, LAST, "_gil_runtime_state.locked", "_gil_runtime_state.last_holder",
                "sizeof._gil_runtime_state_locked", "_gil_runtime_state.switch_number",
                "sizeof._gil_runtime_state_switch_number");
        req(312, LAST, "PyInterpreterState.gil");
        req(ANY, 310, "PyThreadState.frame");
        req(311, 312, "PyThreadState.cframe", "_PyCFrame.current_frame");
        req(313, LAST, "PyThreadState.current_frame");
        req(311, LAST, "PyThreadState.native_thread_id", "PyThreadState.datastack_chunk");
        req(ANY, 310, "PyFrameObject.f_back", "PyFrameObject.f_code", "PyFrameObject.f_lineno",
                "PyFrameObject.f_lasti", "PyFrameObject.f_localsplus", "sizeof.PyFrameObject");
        req(311, LAST, "_PyInterpreterFrame.executable", "_PyInterpreterFrame.previous",
                "_PyInterpreterFrame.instr", "_PyInterpreterFrame.localsplus", "sizeof._PyInterpreterFrame");
        req(311, 313, "_PyInterpreterFrame.stacktop");
        req(314, LAST, "_PyInterpreterFrame.stackpointer", "const.Py_TAG_BITS");
        // the owner byte and its enum exist from 3.11 (FRAME_OWNED_BY_CSTACK from 3.12)
        req(311, LAST, "_PyInterpreterFrame.owner", "const.FRAME_OWNED_BY_THREAD", "const.FRAME_OWNED_BY_GENERATOR",
                "const.FRAME_OWNED_BY_FRAME_OBJECT");
        req(312, 314, "const.FRAME_OWNED_BY_CSTACK");
        req(314, LAST, "const.FRAME_OWNED_BY_INTERPRETER");
        req(311, 311, "_PyInterpreterFrame.is_entry");
        req(311, LAST, "PyCodeObject.co_qualname", "PyCodeObject.co_localsplusnames",
                "PyCodeObject.co_localspluskinds", "PyCodeObject.co_nlocalsplus", "PyCodeObject.co_code_adaptive");
        req(308, LAST, "PyCodeObject.co_posonlyargcount");
        req(300, LAST, "PyCodeObject.co_kwonlyargcount");
        req(ANY, 310, "PyCodeObject.co_varnames", "PyCodeObject.co_code");
        req(300, LAST, "PyASCIIObject.length", "PyASCIIObject.state", "sizeof.PyASCIIObject",
                "sizeof.PyCompactUnicodeObject", "PyUnicodeObject.data", "PyBytesObject.ob_sval",
                "PyDictObject.ma_keys", "PyDictObject.ma_values");
        req(ANY, 299, "PyStringObject.ob_sval", "PyUnicodeObject.length", "PyUnicodeObject.str",
                "const.Py_UNICODE_SIZE", "PyIntObject.ob_ival",
                "PyDictObject.ma_mask", "PyDictObject.ma_table", "sizeof.PyDictEntry", "PyInstanceObject.in_dict");
        req(312, LAST, "PyLongObject.lv_tag");
        req(300, 311, "PyASCIIObject.wstr", "PyCompactUnicodeObject.wstr_length");
        req(306, 310, "PyDictKeysObject.dk_size");
        req(311, LAST, "PyDictKeysObject.dk_log2_size", "PyDictKeysObject.dk_log2_index_bytes",
                "PyDictKeysObject.dk_kind", "sizeof.PyDictUnicodeEntry", "PyDictValues.values",
                "const.Py_TPFLAGS_MANAGED_DICT", "const.MANAGED_DICT_OFFSET");
        req(306, LAST, "PyDictKeysObject.dk_nentries", "PyDictKeysObject.dk_indices", "sizeof.PyDictKeyEntry");
        req(313, LAST, "PyDictValues.valid", "const.Py_TPFLAGS_INLINE_VALUES");
        req(311, 311, "const.MANAGED_VALUES_OFFSET");
    }

    /** Trailing flexible array members: their offset may equal the struct size. */
    private static final Set<String> FLEXIBLE = Set.of("PyDictKeysObject.dk_indices");

    /** Fields that hold a pointer, hence sit on an 8-byte boundary in a 64-bit build. */
    private static final Set<String> POINTERS = Set.of(
            "PyObject.ob_type", "PyTypeObject.tp_name", "PyTypeObject.tp_base", "PyHeapTypeObject.ht_cached_keys",
            "_PyRuntimeState.interpreters_head", "_PyRuntimeState.tstate_current",
            "PyInterpreterState.next", "PyInterpreterState.tstate_head", "PyInterpreterState.modules",
            "PyInterpreterState.gil", "PyInterpreterState.sysdict", "PyInterpreterState.builtins",
            "_gil_runtime_state.last_holder",
            "PyThreadState.prev", "PyThreadState.next", "PyThreadState.interp", "PyThreadState.frame",
            "PyThreadState.cframe", "PyThreadState.current_frame", "PyThreadState.datastack_chunk",
            "_PyCFrame.current_frame", "PyFrameObject.f_back", "PyFrameObject.f_code",
            "PyFrameObject.f_localsplus", "_PyInterpreterFrame.executable", "_PyInterpreterFrame.previous",
            "_PyInterpreterFrame.instr", "_PyInterpreterFrame.localsplus",
            "PyCodeObject.co_name", "PyCodeObject.co_qualname", "PyCodeObject.co_filename",
            "PyCodeObject.co_linetable", "PyCodeObject.co_varnames", "PyCodeObject.co_code",
            "PyCodeObject.co_localsplusnames", "PyCodeObject.co_localspluskinds",
            "PyUnicodeObject.data", "PyUnicodeObject.str", "PyTupleObject.ob_item", "PyListObject.ob_item",
            "PyDictObject.ma_keys", "PyDictObject.ma_values", "PyDictObject.ma_table", "PyDictValues.values",
            "PyModuleObject.md_dict", "PyInstanceObject.in_dict");

    private static int code(String majorMinor) {
        String[] p = majorMinor.replace("t", "").split("\\.");
        return Integer.parseInt(p[0]) * 100 + Integer.parseInt(p[1]);
    }

    private static Layout table(String version) {
        Layout layout = LayoutData.BUNDLED.table(version);
        assertNotNull(layout, "no layout table for Python " + version);
        return layout;
    }

    private static Layout debugOffsetsMap(String majorMinor) {
        String[] mm = majorMinor.split("\\.");
        return LayoutData.BUNDLED.debugOffsetsMap(PythonVersion.of(Integer.parseInt(mm[0]), Integer.parseInt(mm[1]), 0));
    }

    private static String resourceText(String resource) {
        try (InputStream in = LayoutTablesTest.class.getResourceAsStream(resource)) {
            assertNotNull(in, "missing resource " + resource);
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void everySupportedVersionHasATable() {
        for (String v : tables()) {
            assertNotNull(LayoutData.BUNDLED.table(v), "no layout table for Python " + v);
        }
        assertEquals(null, LayoutData.BUNDLED.table("3.5"), "there is no table for 3.5; LayoutData.table must say so");
    }

    @ParameterizedTest
    @MethodSource("tables")
    void requiredKeysPresentAndAbsentOutsideTheirVersions(String version) {
        Layout layout = table(version);
        int v = code(version);
        List<String> missing = new ArrayList<>();
        List<String> unexpected = new ArrayList<>();
        for (Required r : REQUIRED) {
            boolean applies = r.appliesTo(v);
            if (applies && !layout.has(r.key())) {
                missing.add(r.key());
            }
            // a key with a version range must be omitted where the concept does not exist
            if (!applies && layout.has(r.key()) && REQUIRED.stream().noneMatch(o -> o.key().equals(r.key()) && o.appliesTo(v))) {
                unexpected.add(r.key());
            }
        }
        assertTrue(missing.isEmpty(), "Python " + version + " table lacks " + missing);
        assertTrue(unexpected.isEmpty(), "Python " + version + " table has keys that do not exist there: " + unexpected);
    }

    @ParameterizedTest
    @MethodSource("tables")
    void offsetsLieInsideTheirStruct(String version) {
        Layout layout = table(version);
        List<String> problems = new ArrayList<>();
        for (Map.Entry<String, Long> e : new TreeMap<>(layout.values()).entrySet()) {
            String key = e.getKey();
            if (key.startsWith("const.") || key.startsWith("sizeof.")) {
                continue;
            }
            String struct = key.substring(0, key.indexOf('.'));
            Long size = layout.values().get("sizeof." + struct);
            long off = e.getValue();
            if (size == null) {
                problems.add(key + ": no sizeof." + struct);
            } else if (off < 0 || off > size || (off == size && !FLEXIBLE.contains(key))) {
                problems.add(key + "=" + off + " outside sizeof." + struct + "=" + size);
            }
            if (POINTERS.contains(key) && (off % 8 != 0 || (off + 8 > size && !FLEXIBLE.contains(key)))) {
                problems.add(key + "=" + off + " is not a pointer slot inside " + struct);
            }
        }
        assertTrue(problems.isEmpty(), "Python " + version + ": " + problems);
    }

    @ParameterizedTest
    @MethodSource("tables")
    void headerNamesTheExactVersionAndKeysAreSorted(String version) throws Exception {
        String text = resourceText("/dev/pyspy/layouts/python-" + version + ".properties");
        Matcher m = Pattern.compile("^# CPython (\\d+\\.\\d+\\.\\d+\\S*) layout table", Pattern.MULTILINE).matcher(text);
        assertTrue(m.find(), "python-" + version + ".properties does not name its interpreter version");
        PythonVersion named = PythonVersion.parse(m.group(1));
        PythonVersion fromHex = PythonVersion.fromHex(table(version).offset("const.PY_VERSION_HEX"));
        assertEquals(version.replace("t", ""), named.majorMinor());
        assertEquals(version.endsWith("t"), text.contains("free-threaded build (Py_GIL_DISABLED)"),
                "the header says which build it describes");
        assertEquals(named, fromHex, "header and PY_VERSION_HEX disagree");
        assertTrue(text.contains("# Generated by: scripts/gen-layouts "), "header lacks the generating command");

        List<String> keys = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (!line.isBlank() && !line.startsWith("#")) {
                assertTrue(line.matches("[A-Za-z_][\\w.]*=-?\\d+"), "not key=decimal: " + line);
                keys.add(line.substring(0, line.indexOf('=')));
            }
        }
        for (int i = 1; i < keys.size(); i++) {
            if (keys.get(i - 1).compareTo(keys.get(i)) > 0) {
                fail("keys are not sorted: " + keys.get(i - 1) + " before " + keys.get(i));
            }
        }
        assertEquals(keys.size(), new TreeSet<>(keys).size(), "duplicate keys");
    }

    @ParameterizedTest
    @MethodSource("tables")
    void knownAbiValues(String version) throws Exception {
        Layout t = table(version);
        int v = code(version);
        boolean ft = version.endsWith("t");
        // PyObject header of a 64-bit non-debug build: refcount, type (16 bytes); free-threaded:
        // ob_tid, flags, mutex, gc bits, ob_ref_local, ob_ref_shared, then ob_type (32 bytes)
        int h = ft ? 32 : 16;
        if (ft) {
            assertFalse(t.has("PyObject.ob_refcnt"), "free-threaded objects have no single refcount");
            assertEquals(0, t.offset("PyObject.ob_tid"));
            assertEquals(1, t.offset("const.Py_GIL_DISABLED"));
        } else {
            assertEquals(0, t.offset("PyObject.ob_refcnt"));
            assertFalse(t.has("const.Py_GIL_DISABLED"));
        }
        assertEquals(h - 8, t.offset("PyObject.ob_type"));
        assertEquals(h, t.offset("sizeof.PyObject"));
        assertEquals(h, t.offset("PyVarObject.ob_size"));
        assertEquals(h + 8, t.offset("PyTypeObject.tp_name"));
        assertEquals(h + 16, t.offset("PyTypeObject.tp_basicsize"));
        // 3.14 tuples cache their hash (ob_hash) before the items
        assertEquals(h + (v >= 314 ? 16 : 8), t.offset("PyTupleObject.ob_item"));
        assertEquals(h + 8, t.offset("PyListObject.ob_item"));
        assertEquals(h, t.offset("PyFloatObject.ob_fval"));
        assertEquals(h, t.offset("PyModuleObject.md_dict"));
        assertEquals(h + 8, t.offset("PyLongObject.ob_digit"));
        assertEquals(4, t.offset("sizeof.digit"));
        assertEquals(30, t.offset("const.PyLong_SHIFT"));
        assertEquals(v / 100, (t.offset("const.PY_VERSION_HEX") >>> 24) & 0xff);
        assertEquals(v % 100, (t.offset("const.PY_VERSION_HEX") >>> 16) & 0xff);
        if (v <= 312) {
            assertEquals(0, t.offset("PyInterpreterState.next"));
        } else {
            // 3.13 moved the eval-breaker state (struct _ceval_state ceval) to the front of the struct
            assertTrue(t.offset("PyInterpreterState.next") > t.offset("PyInterpreterState.gil"));
        }
        assertTrue(t.offset("PyCodeObject.co_firstlineno") > 16, "co_firstlineno inside the object header");

        if (v >= 300) {
            assertEquals(h, t.offset("PyASCIIObject.length"));
            assertEquals(h + 16, t.offset("PyBytesObject.ob_sval"));
            assertTrue(t.offset("sizeof.PyCompactUnicodeObject") > t.offset("sizeof.PyASCIIObject"));
            assertTrue(t.offset("PyUnicodeObject.data") >= t.offset("sizeof.PyCompactUnicodeObject"));
            // free-threaded 3.14+ keeps `interned` in a byte of its own (3.13t: still 2 bits)
            assertEquals(ft && v >= 314 ? 8 : 2, t.offset("const.UNICODE_STATE_KIND_SHIFT"));
            assertEquals(3, t.offset("const.UNICODE_STATE_KIND_BITS"));
        } else {
            assertEquals(36, t.offset("PyStringObject.ob_sval"));
            assertEquals(16, t.offset("PyIntObject.ob_ival"));
            assertEquals(24, t.offset("sizeof.PyDictEntry"));
            assertEquals(4, t.offset("const.Py_UNICODE_SIZE"), "pyenv's 2.7 is a UCS4 build");
        }
        if (v >= 306) {
            assertEquals(24, t.offset("sizeof.PyDictKeyEntry"));
        }
        if (v >= 306 && v <= 310) {
            assertEquals(8, t.offset("PyDictKeysObject.dk_size"));
            assertEquals(40, t.offset("PyDictKeysObject.dk_indices"));
        }
        if (v >= 311) {
            assertEquals(16, t.offset("sizeof.PyDictUnicodeEntry"));
            assertEquals(1 << 4, t.offset("const.Py_TPFLAGS_MANAGED_DICT"));
            // the managed dict pointer sits before the object: 3 words back (1 in free-threaded builds)
            assertEquals((ft ? -1 : -3) * 8, t.offset("const.MANAGED_DICT_OFFSET"));
            assertEquals(0, t.offset("const.FRAME_OWNED_BY_THREAD"));
            assertEquals(1, t.offset("const.FRAME_OWNED_BY_GENERATOR"));
            assertEquals(2, t.offset("const.FRAME_OWNED_BY_FRAME_OBJECT"));
            // localsplus is the trailing array of the frame; sizeof counts its one declared slot
            assertEquals(t.offset("_PyInterpreterFrame.localsplus") + 8, t.offset("sizeof._PyInterpreterFrame"));
            assertTrue(t.offset("PyThreadState.native_thread_id") > t.offset("PyThreadState.thread_id"));
        }
        if (v == 311) {
            assertEquals(-4 * 8, t.offset("const.MANAGED_VALUES_OFFSET"));
        }
        if (v >= 312 && v <= 313) {
            assertEquals(3, t.offset("const.FRAME_OWNED_BY_CSTACK"));
        }
        if (v >= 314) {
            // 3.14 renumbered the shim owners; 3.15 dropped FRAME_OWNED_BY_CSTACK
            assertEquals(3, t.offset("const.FRAME_OWNED_BY_INTERPRETER"));
            assertEquals(v == 314 ? 4 : -1, t.value("const.FRAME_OWNED_BY_CSTACK", -1));
            // tagged _PyStackRef: the low bits of f_executable and of locals are tags
            assertEquals(ft && v == 314 ? 1 : 3, t.offset("const.Py_TAG_BITS"));
            // free-threaded: thread-local bytecode, found through the frame's index into co_tlbc
            assertEquals(ft, t.has("_PyInterpreterFrame.tlbc_index") && t.has("PyCodeObject.co_tlbc")
                    && t.has("_PyCodeArray.entries"));
        }
        if (v >= 307) {
            assertEquals(4, t.offset("sizeof._gil_runtime_state_locked"));
            assertEquals(8, t.offset("sizeof._gil_runtime_state_switch_number")); // an unsigned long
        }
        if (v >= 312) {
            assertEquals(h, t.offset("PyLongObject.lv_tag"));
            assertEquals(0, t.offset("_PyInterpreterFrame.executable"));
            assertEquals(8, t.offset("_PyInterpreterFrame.previous"));
        }
        if (v >= 313) {
            assertEquals(1 << 2, t.offset("const.Py_TPFLAGS_INLINE_VALUES"));
            assertEquals(h, t.offset("const.INLINE_VALUES_OFFSET"));
            assertEquals(3, t.offset("PyDictValues.valid"));
            assertEquals(8, t.offset("PyDictValues.values"));
        }
        if (v <= 310) {
            assertTrue(t.offset("PyFrameObject.f_back") < t.offset("PyFrameObject.f_code"));
            assertTrue(t.offset("PyFrameObject.f_localsplus") < t.offset("sizeof.PyFrameObject"));
        }
    }

    /** Every _Py_DebugOffsets entry DebugOffsets maps to a walker key exists in each struct map. */
    @ParameterizedTest
    @MethodSource("debugOffsetVersions")
    void debugOffsetsTileTheirStruct(String version) {
        Layout d = debugOffsetsMap(version);
        assertNotNull(d, "missing debug-offsets-" + version + ".properties");
        for (String key : List.of("cookie", "version", "free_threaded", "runtime_state.interpreters_head",
                "interpreter_state.threads_head", "interpreter_state.imports_modules", "thread_state.size",
                "thread_state.current_frame", "thread_state.native_thread_id", "interpreter_frame.executable",
                "interpreter_frame.instr_ptr", "interpreter_frame.owner", "code_object.co_code_adaptive",
                "pyobject.ob_type", "unicode_object.state", "sizeof")) {
            assertTrue(d.has(key), "debug-offsets-" + version + " lacks " + key);
        }
        if (code(version) >= 314) {
            for (String key : List.of("interpreter_frame.stackpointer", "interpreter_frame.tlbc_index",
                    "code_object.co_tlbc")) {
                assertTrue(d.has(key), "debug-offsets-" + version + " lacks " + key);
            }
        }
        if (code(version) >= 315) {
            for (String key : List.of("type_object.tp_basicsize", "type_object.tp_dictoffset",
                    "heap_type_object.ht_cached_keys", "unicode_object.compactunicodeobject_size")) {
                assertTrue(d.has(key), "debug-offsets-" + version + " lacks " + key);
            }
        }
        // every member is 8 bytes (char cookie[8], then uint64_t): the offsets tile the struct
        long size = d.value("sizeof", -1);
        Set<Long> offsets = new TreeSet<>();
        for (Map.Entry<String, Long> e : d.values().entrySet()) {
            if (!e.getKey().equals("sizeof") && !offsets.add(e.getValue())) {
                fail("two fields at offset " + e.getValue() + " in " + version);
            }
        }
        Set<Long> expected = new TreeSet<>();
        for (long o = 0; o < size; o += 8) {
            expected.add(o);
        }
        assertEquals(expected, offsets, "debug offsets of " + version + " do not tile the struct (sizeof=" + size + ")");
    }

    @Test
    void debugOffsets313CoverEveryFieldOfTheStruct() {
        Layout d = debugOffsetsMap("3.13");
        assertNotNull(d, "missing debug-offsets-3.13.properties");
        for (String key : List.of("cookie", "version", "free_threaded",
                "runtime_state.size", "runtime_state.finalizing", "runtime_state.interpreters_head",
                "interpreter_state.size", "interpreter_state.id", "interpreter_state.next",
                "interpreter_state.threads_head", "interpreter_state.gc", "interpreter_state.imports_modules",
                "interpreter_state.sysdict", "interpreter_state.builtins", "interpreter_state.ceval_gil",
                "interpreter_state.gil_runtime_state", "interpreter_state.gil_runtime_state_enabled",
                "interpreter_state.gil_runtime_state_locked", "interpreter_state.gil_runtime_state_holder",
                "thread_state.size", "thread_state.prev", "thread_state.next", "thread_state.interp",
                "thread_state.current_frame", "thread_state.thread_id", "thread_state.native_thread_id",
                "thread_state.datastack_chunk", "thread_state.status",
                "interpreter_frame.size", "interpreter_frame.previous", "interpreter_frame.executable",
                "interpreter_frame.instr_ptr", "interpreter_frame.localsplus", "interpreter_frame.owner",
                "code_object.size", "code_object.filename", "code_object.name", "code_object.qualname",
                "code_object.linetable", "code_object.firstlineno", "code_object.argcount",
                "code_object.localsplusnames", "code_object.localspluskinds", "code_object.co_code_adaptive",
                "pyobject.size", "pyobject.ob_type",
                "type_object.size", "type_object.tp_name", "type_object.tp_repr", "type_object.tp_flags",
                "tuple_object.size", "tuple_object.ob_item", "tuple_object.ob_size",
                "list_object.size", "list_object.ob_item", "list_object.ob_size",
                "dict_object.size", "dict_object.ma_keys", "dict_object.ma_values",
                "float_object.size", "float_object.ob_fval",
                "long_object.size", "long_object.lv_tag", "long_object.ob_digit",
                "bytes_object.size", "bytes_object.ob_size", "bytes_object.ob_sval",
                "unicode_object.size", "unicode_object.state", "unicode_object.length",
                "unicode_object.asciiobject_size",
                "gc.size", "gc.collecting", "sizeof")) {
            assertTrue(d.has(key), "debug-offsets-3.13 lacks " + key);
        }
        assertEquals(0, d.value("cookie", -1));
        assertEquals(8, d.value("version", -1));
        // Every member of the 3.13 struct is 8 bytes (char cookie[8], then uint64_t), so the
        // offsets must tile the struct exactly: 0, 8, 16, ..., sizeof - 8, each used once.
        long size = d.value("sizeof", -1);
        Set<Long> offsets = new TreeSet<>();
        for (Map.Entry<String, Long> e : d.values().entrySet()) {
            if (!e.getKey().equals("sizeof")) {
                if (!offsets.add(e.getValue())) {
                    fail("two fields at offset " + e.getValue());
                }
            }
        }
        Set<Long> expected = new TreeSet<>();
        for (long o = 0; o < size; o += 8) {
            expected.add(o);
        }
        assertEquals(expected, offsets, "debug offsets do not tile the struct (sizeof=" + size + ")");
    }
}

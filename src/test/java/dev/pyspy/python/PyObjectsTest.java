package dev.pyspy.python;

import dev.pyspy.testing.NeedsRoot;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pyspy.process.ProcessMemory;
import dev.pyspy.process.MemoryReadException;
import dev.pyspy.testing.Interpreters;
import dev.pyspy.testing.Interpreters.Interpreter;
import dev.pyspy.testing.TargetProcess;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

@NeedsRoot
class PyObjectsTest {

    // ------------------------------------------------------------------------------------------
    // Live interpreters: a child builds objects, prints id() and repr() of each, then waits.
    // ------------------------------------------------------------------------------------------

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<String, Child> CHILDREN = new HashMap<>();
    private static Path scripts;

    /** A running child interpreter and a reader of its memory. */
    private record Child(TargetProcess process, ProcMemMemory memory, PyObjects objects, PythonVersion version,
                         List<JsonNode> records, String problem) {
    }

    /** Every interpreter of the suite. */
    static Stream<Interpreter> interpreters() {
        return Interpreters.all().stream();
    }

    private static synchronized Child child(Interpreter python) throws Exception {
        Child c = CHILDREN.get(python.id());
        if (c == null) {
            c = start(python);
            CHILDREN.put(python.id(), c);
        }
        Assumptions.assumeTrue(c.problem() == null, c.problem());
        return c;
    }

    private static Child start(Interpreter python) throws Exception {
        if (scripts == null) {
            scripts = TargetProcess.scripts("objects_target.py");
        }
        TargetProcess p = TargetProcess.start(python, scripts.resolve("objects_target.py"));
        JsonNode doc = p.truth(120);
        JsonNode v = doc.get("version");
        PythonVersion version = PythonVersion.of(v.get(0).asInt(), v.get(1).asInt(), v.get(2).asInt())
                .withFreeThreaded(python.freeThreaded());
        List<JsonNode> records = new ArrayList<>();
        doc.get("records").forEach(records::add);
        Layout layout = LayoutData.BUNDLED.table(python.majorMinor());
        if (layout == null) {
            return new Child(p, null, null, version, records,
                    "no layout table for Python " + version.majorMinor() + " has been generated yet");
        }
        ProcMemMemory memory = new ProcMemMemory(p.pid());
        return new Child(p, memory, new PyObjects(memory, layout, version), version, records, null);
    }

    @AfterAll
    static void stopChildren() throws Exception {
        for (Child c : CHILDREN.values()) {
            c.process().close();
            if (c.memory() != null) {
                c.memory().close();
            }
        }
        CHILDREN.clear();
    }

    private static String expectedCapped(JsonNode rec, int cap) {
        if (rec.has("repr")) {
            return PyObjects.cap(rec.get("repr").asText(), cap);
        }
        String head = rec.get("reprHead").asText();
        assertTrue(cap < head.length(), "test needs a longer head");
        return PyObjects.cap(head.substring(0, cap + 1), cap);
    }

    private interface Check {
        void run(JsonNode rec) throws Exception;
    }

    /** Runs {@code check} on every record that has {@code field}, collecting every failure. */
    private static void forEach(Child c, String field, Check check) {
        List<String> failures = new ArrayList<>();
        int checked = 0;
        for (JsonNode rec : c.records()) {
            if (!rec.has(field)) {
                continue;
            }
            checked++;
            try {
                check.run(rec);
            } catch (AssertionError | Exception e) {
                failures.add(rec.get("label").asText() + ": " + e.getMessage());
            }
        }
        assertTrue(checked > 0, "no record has " + field);
        if (!failures.isEmpty()) {
            fail(c.version() + ": " + failures.size() + " of " + checked + " failed:\n" + String.join("\n", failures));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("interpreters")
    void reprEqualsPythonsOwnReprForEveryBuiltinKind(Interpreter python) throws Exception {
        Child c = child(python);
        forEach(c, "repr", rec -> {
            long id = rec.get("id").asLong();
            String expected = rec.get("repr").asText();
            assertEquals(expected, c.objects().repr(id, 1_000_000));
            for (int cap : new int[] {5, 12, 40}) {
                assertEquals(PyObjects.cap(expected, cap), c.objects().repr(id, cap), "capped at " + cap);
            }
        });
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("interpreters")
    void reprOfHugeObjectsReadsOnlyWhatItShows(Interpreter python) throws Exception {
        Child c = child(python);
        forEach(c, "reprHead", rec -> {
            long id = rec.get("id").asLong();
            long before = c.memory().bytesRead();
            String got = c.objects().repr(id, 200);
            long read = c.memory().bytesRead() - before;
            assertEquals(expectedCapped(rec, 200), got);
            assertTrue(read < 32 * 1024, "read " + read + " bytes for a 200-char repr");
        });
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("interpreters")
    void reprShowsContainersNestedTooDeeplyAsEllipsis(Interpreter python) throws Exception {
        Child c = child(python);
        for (JsonNode rec : c.records()) {
            if (rec.get("label").asText().equals("list-deep")) {
                String open = "[".repeat(PyObjects.MAX_REPR_DEPTH);
                String close = "]".repeat(PyObjects.MAX_REPR_DEPTH);
                assertEquals(open + "[...]" + close, c.objects().repr(rec.get("id").asLong(), 1000));
                return;
            }
        }
        fail("no list-deep record");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("interpreters")
    void reprOfOtherObjectsNamesTheirTypeAndAddress(Interpreter python) throws Exception {
        Child c = child(python);
        forEach(c, "attrs", rec -> {
            long id = rec.get("id").asLong();
            String expected = "<" + rec.get("type").asText() + " at 0x" + Long.toHexString(id) + ">";
            assertEquals(expected, c.objects().repr(id, 500));
        });
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("interpreters")
    void readStringReturnsTheTextOfEveryStringKind(Interpreter python) throws Exception {
        Child c = child(python);
        forEach(c, "text", rec -> {
            long id = rec.get("id").asLong();
            String expected = rec.get("text").asText();
            assertEquals(expected, c.objects().readString(id));
            // Python 2 str prefixes count bytes: compare prefixes where bytes and characters agree
            boolean bytesAreChars = c.version().major() > 2 || rec.get("type").asText().equals("unicode")
                    || expected.chars().allMatch(ch -> ch < 0x80);
            if (bytesAreChars) {
                int n = Math.min(3, expected.codePointCount(0, expected.length()));
                assertEquals(expected.substring(0, expected.offsetByCodePoints(0, n)), c.objects().readString(id, 3),
                        "first 3 characters");
            }
        });
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("interpreters")
    void readBytesReturnsTheContentOfBytesObjects(Interpreter python) throws Exception {
        Child c = child(python);
        String wanted = c.version().major() == 2 ? "str-escapes" : "bytes-mixed";
        byte[] expected = c.version().major() == 2
                ? "tab\there\nnl\r\000\177\\".getBytes(StandardCharsets.ISO_8859_1)
                : new byte[] {0, (byte) 0xff, '\'', '"', '\\', '\t'};
        for (JsonNode rec : c.records()) {
            if (rec.get("label").asText().equals(wanted)) {
                long id = rec.get("id").asLong();
                assertEquals(new String(expected, StandardCharsets.ISO_8859_1),
                        new String(c.objects().readBytes(id, 100), StandardCharsets.ISO_8859_1));
                assertEquals(2, c.objects().readBytes(id, 2).length);
                return;
            }
        }
        fail("no " + wanted + " record");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("interpreters")
    void attributeFindsInstanceAttributesInEveryDictLayout(Interpreter python) throws Exception {
        Child c = child(python);
        forEach(c, "attrs", rec -> {
            long id = rec.get("id").asLong();
            Iterator<Map.Entry<String, JsonNode>> it = rec.get("attrs").fields();
            while (it.hasNext()) {
                Map.Entry<String, JsonNode> e = it.next();
                assertEquals(e.getValue().asLong(), c.objects().attribute(id, e.getKey()), "attribute " + e.getKey());
            }
        });
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("interpreters")
    void threadNameIsReadThroughItsNameAttribute(Interpreter python) throws Exception {
        Child c = child(python);
        forEach(c, "mainName", rec -> {
            long thread = rec.get("id").asLong();
            String attr = c.version().major() == 2 ? "_Thread__name" : "_name";
            long name = c.objects().attribute(thread, attr);
            assertEquals(rec.get("mainName").asText(), c.objects().readString(name));
        });
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("interpreters")
    void dictLookupFindsStrKeysInEveryTableLayout(Interpreter python) throws Exception {
        Child c = child(python);
        forEach(c, "lookups", rec -> {
            long id = rec.get("id").asLong();
            Iterator<Map.Entry<String, JsonNode>> it = rec.get("lookups").fields();
            while (it.hasNext()) {
                Map.Entry<String, JsonNode> e = it.next();
                assertEquals(e.getValue().asLong(), c.objects().dictLookup(id, e.getKey()), "key " + e.getKey());
            }
        });
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("interpreters")
    void dictItemsVisitsThreadingActiveWithIntKeys(Interpreter python) throws Exception {
        Child c = child(python);
        forEach(c, "items", rec -> {
            List<long[]> seen = new ArrayList<>();
            c.objects().dictItems(rec.get("id").asLong(), 100, (k, v) -> seen.add(new long[] {k, v}));
            for (JsonNode pair : rec.get("items")) {
                long k = pair.get(0).asLong();
                long v = pair.get(1).asLong();
                assertTrue(seen.stream().anyMatch(s -> s[0] == k && s[1] == v), "pair missing from dictItems");
            }
        });
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("interpreters")
    void longValueReadsIntsThatFitIn64Bits(Interpreter python) throws Exception {
        Child c = child(python);
        forEach(c, "int", rec -> {
            long id = rec.get("id").asLong();
            java.math.BigInteger v = new java.math.BigInteger(rec.get("int").asText());
            boolean fits = v.bitLength() <= 63 || (v.signum() > 0 && v.bitLength() == 64);
            if (fits) {
                assertEquals(v.longValue(), c.objects().longValue(id));
            } else {
                assertThrows(MemoryReadException.class, () -> c.objects().longValue(id));
            }
        });
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("interpreters")
    void typeNameIsTheTypesOwnName(Interpreter python) throws Exception {
        Child c = child(python);
        forEach(c, "type", rec -> assertEquals(rec.get("type").asText(), c.objects().typeName(rec.get("id").asLong())));
    }

    // ------------------------------------------------------------------------------------------
    // Synthetic memory: garbage must fail with MemoryReadException after bounded work.
    // ------------------------------------------------------------------------------------------

    /** Sparse fake address space: every read must fall inside one region. */
    static final class FakeMemory implements ProcessMemory {
        private final TreeMap<Long, ByteBuffer> regions = new TreeMap<>();
        private long next = 0x10000;
        long calls;
        long bytes;

        /** Zeroed whole pages holding {@code size} bytes, with an unmapped page after them. */
        long alloc(int size) {
            long addr = next;
            int pages = (size + 4095) & ~4095;
            regions.put(addr, ByteBuffer.allocate(pages).order(ByteOrder.LITTLE_ENDIAN));
            next = addr + pages + 0x1000;
            return addr;
        }

        private ByteBuffer at(long addr) {
            Map.Entry<Long, ByteBuffer> e = regions.floorEntry(addr);
            if (e == null || addr - e.getKey() >= e.getValue().capacity()) {
                throw new IllegalArgumentException(String.format("0x%x not allocated", addr));
            }
            return e.getValue();
        }

        void putLong(long addr, long v) {
            at(addr).putLong((int) (addr - regions.floorKey(addr)), v);
        }

        void putInt(long addr, int v) {
            at(addr).putInt((int) (addr - regions.floorKey(addr)), v);
        }

        void putByte(long addr, int v) {
            at(addr).put((int) (addr - regions.floorKey(addr)), (byte) v);
        }

        void putBytes(long addr, byte[] b) {
            for (int i = 0; i < b.length; i++) {
                putByte(addr + i, b[i]);
            }
        }

        @Override
        public void read(long address, ByteBuffer dst, int length) throws MemoryReadException {
            calls++;
            Map.Entry<Long, ByteBuffer> e = regions.floorEntry(address);
            if (e == null || address - e.getKey() + length > e.getValue().capacity()) {
                throw new MemoryReadException(address, length, "unmapped");
            }
            int off = (int) (address - e.getKey());
            dst.clear();
            for (int i = 0; i < length; i++) {
                dst.put(i, e.getValue().get(off + i));
            }
            dst.position(0).limit(length);
            bytes += length;
        }

        @Override
        public long readCalls() {
            return calls;
        }
    }

    /** Builds CPython 3.12-shaped objects (offsets from the generated 3.12 table) in a FakeMemory. */
    static final class Heap {
        final FakeMemory mem = new FakeMemory();
        final Layout layout;
        final PyObjects objects;
        final long strType;
        final long intType;
        final long listType;
        final long tupleType;
        final long dictType;
        final long noneType;
        final long none;

        Heap() throws Exception {
            layout = LayoutData.BUNDLED.table("3.12");
            Assumptions.assumeTrue(layout != null, "no layout table for Python 3.12 has been generated yet");
            objects = new PyObjects(mem, layout, PythonVersion.of(3, 12, 1));
            strType = type("str", 1L << 28, 64);
            intType = type("int", 1L << 24, 32);
            listType = type("list", 1L << 25, 40);
            tupleType = type("tuple", 1L << 26, 32);
            dictType = type("dict", 1L << 29, 48);
            noneType = type("NoneType", 0, 16);
            none = object(noneType, 16);
        }

        int off(String key) throws Exception {
            return layout.offset(key);
        }

        long type(String name, long flags, long basicsize) throws Exception {
            byte[] n = (name + "\0").getBytes(StandardCharsets.UTF_8);
            long namePtr = mem.alloc(n.length);
            mem.putBytes(namePtr, n);
            long t = mem.alloc(512);
            mem.putLong(t + off("PyTypeObject.tp_name"), namePtr);
            mem.putLong(t + off("PyTypeObject.tp_flags"), flags);
            mem.putLong(t + off("PyTypeObject.tp_basicsize"), basicsize);
            return t;
        }

        long object(long type, int size) throws Exception {
            long o = mem.alloc(size);
            mem.putLong(o + off("PyObject.ob_type"), type);
            return o;
        }

        /** A compact ASCII str whose header claims {@code length} but holds {@code data}. */
        long asciiStr(String data, long length) throws Exception {
            int hdr = off("sizeof.PyASCIIObject");
            long s = object(strType, hdr + data.length() + 1);
            mem.putLong(s + off("PyASCIIObject.length"), length);
            mem.putInt(s + off("PyASCIIObject.state"), (1 << 2) | (1 << 5) | (1 << 6));
            mem.putBytes(s + hdr, data.getBytes(StandardCharsets.US_ASCII));
            return s;
        }

        long smallInt(int v) throws Exception {
            long o = object(intType, 32);
            mem.putLong(o + off("PyLongObject.lv_tag"), v == 0 ? 1 : (1L << 3) | (v < 0 ? 2 : 0));
            mem.putInt(o + off("PyLongObject.ob_digit"), Math.abs(v));
            return o;
        }

        long list(long... items) throws Exception {
            long l = object(listType, 40);
            long arr = mem.alloc(Math.max(8, items.length * 8));
            mem.putLong(l + off("PyVarObject.ob_size"), items.length);
            mem.putLong(l + off("PyListObject.ob_item"), arr);
            for (int i = 0; i < items.length; i++) {
                mem.putLong(arr + 8L * i, items[i]);
            }
            return l;
        }

        void setListItem(long list, int i, long item) throws Exception {
            long arr = readLong(list + off("PyListObject.ob_item"));
            mem.putLong(arr + 8L * i, item);
        }

        long readLong(long addr) throws Exception {
            ByteBuffer b = ByteBuffer.allocate(8);
            mem.read(addr, b, 8);
            return b.order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        }

        /** A combined unicode-keys dict (3.12 shape) with the given str keys and values. */
        long dict(long[] keys, long[] values, int log2Size) throws Exception {
            long d = object(dictType, 48);
            int n = keys.length;
            int indexBytes = 1 << log2Size;
            long k = mem.alloc(off("PyDictKeysObject.dk_indices") + indexBytes + Math.max(1, n) * 16);
            mem.putByte(k + off("PyDictKeysObject.dk_log2_size"), log2Size);
            mem.putByte(k + off("PyDictKeysObject.dk_log2_index_bytes"), log2Size);
            mem.putByte(k + off("PyDictKeysObject.dk_kind"), 1);
            mem.putLong(k + off("PyDictKeysObject.dk_nentries"), n);
            long entries = k + off("PyDictKeysObject.dk_indices") + indexBytes;
            for (int i = 0; i < n; i++) {
                mem.putLong(entries + 16L * i, keys[i]);
                mem.putLong(entries + 16L * i + 8, values[i]);
            }
            mem.putLong(d + off("PyDictObject.ma_used"), n);
            mem.putLong(d + off("PyDictObject.ma_keys"), k);
            return d;
        }
    }

    @Test
    void stringWithAbsurdLengthFailsWithoutAllocating() throws Exception {
        Heap h = new Heap();
        long s = h.asciiStr("abc", 1L << 45);
        assertThrows(MemoryReadException.class, () -> h.objects.readString(s));
        assertThrows(MemoryReadException.class, () -> h.objects.repr(s, 100));
        long negative = h.asciiStr("abc", -1);
        assertThrows(MemoryReadException.class, () -> h.objects.readString(negative));
    }

    @Test
    void stringLongerThanItsMemoryFailsWithMemoryReadException() throws Exception {
        Heap h = new Heap();
        long s = h.asciiStr("abc", 900_000);
        assertThrows(MemoryReadException.class, () -> h.objects.readString(s));
        // a prefix that exists can still be read
        assertEquals("abc", h.objects.readString(s, 3));
        assertEquals("'ab...", h.objects.repr(s, 6));
    }

    @Test
    void stringWithInvalidKindFails() throws Exception {
        Heap h = new Heap();
        long s = h.asciiStr("abc", 3);
        h.mem.putInt(s + h.off("PyASCIIObject.state"), (3 << 2) | (1 << 5));
        assertThrows(MemoryReadException.class, () -> h.objects.readString(s));
    }

    @Test
    void nullMisalignedAndUnmappedPointersFail() throws Exception {
        Heap h = new Heap();
        assertThrows(MemoryReadException.class, () -> h.objects.typeOf(0));
        assertThrows(MemoryReadException.class, () -> h.objects.repr(h.none + 4, 100));
        assertThrows(MemoryReadException.class, () -> h.objects.repr(0x7000_0000_0000L, 100));
        assertThrows(MemoryReadException.class, () -> h.objects.readString(-8));
        long orphan = h.object(0x7000_0000_0000L, 16);
        assertThrows(MemoryReadException.class, () -> h.objects.typeName(orphan));
        assertEquals("<NULL>", h.objects.repr(h.list(0), 100).substring(1, 7));
    }

    @Test
    void objectOfTheWrongTypeIsRejected() throws Exception {
        Heap h = new Heap();
        long i = h.smallInt(5);
        assertThrows(MemoryReadException.class, () -> h.objects.readString(i));
        assertThrows(MemoryReadException.class, () -> h.objects.dictLookup(i, "x"));
        assertThrows(MemoryReadException.class, () -> h.objects.longValue(h.asciiStr("1", 1)));
        assertEquals(5, h.objects.longValue(i));
    }

    @Test
    void typeNameWithoutTerminatorIsCapped() throws Exception {
        Heap h = new Heap();
        long t = h.type("x", 0, 16);
        long name = h.mem.alloc(5000);
        h.mem.putBytes(name, "A".repeat(5000).getBytes(StandardCharsets.US_ASCII));
        h.mem.putLong(t + h.off("PyTypeObject.tp_name"), name);
        long o = h.object(t, 16);
        assertEquals(PyObjects.MAX_TYPE_NAME, h.objects.typeName(o).length());
    }

    @Test
    void listContainingItselfShowsEllipsis() throws Exception {
        Heap h = new Heap();
        long l = h.list(h.smallInt(1), 0);
        h.setListItem(l, 1, l);
        assertEquals("[1, [...]]", h.objects.repr(l, 100));
    }

    @Test
    void dictContainingItselfShowsEllipsis() throws Exception {
        Heap h = new Heap();
        long k1 = h.asciiStr("k", 1);
        long k2 = h.asciiStr("self", 4);
        long d = h.dict(new long[] {k1, k2}, new long[] {h.smallInt(1), 0}, 3);
        long keys = h.readLong(d + h.off("PyDictObject.ma_keys"));
        long entries = keys + h.off("PyDictKeysObject.dk_indices") + 8;
        h.mem.putLong(entries + 16 + 8, d);
        assertEquals("{'k': 1, 'self': {...}}", h.objects.repr(d, 100));
        assertEquals(d, h.objects.dictLookup(d, "self"));
        assertEquals(0, h.objects.dictLookup(d, "nope"));
    }

    @Test
    void deeplyNestedListsStopAtTheDepthLimitWithBoundedReads() throws Exception {
        Heap h = new Heap();
        long inner = h.list(h.none);
        for (int i = 0; i < 1000; i++) {
            inner = h.list(inner);
        }
        long before = h.mem.calls;
        String r = h.objects.repr(inner, 10_000);
        assertEquals("[".repeat(PyObjects.MAX_REPR_DEPTH) + "[...]" + "]".repeat(PyObjects.MAX_REPR_DEPTH), r);
        assertTrue(h.mem.calls - before < 100, "reads: " + (h.mem.calls - before));
    }

    @Test
    void hugeListReprReadsOnlyTheItemsItShows() throws Exception {
        Heap h = new Heap();
        long one = h.smallInt(1);
        long[] items = new long[4096];
        java.util.Arrays.fill(items, one);
        long l = h.list(items);
        h.mem.putLong(l + h.off("PyVarObject.ob_size"), 1L << 30);   // far more than exists
        long before = h.mem.bytes;
        assertEquals("[1, 1, 1, 1, 1, 1, ...", h.objects.repr(l, 22));
        assertTrue(h.mem.bytes - before < 4096, "read " + (h.mem.bytes - before) + " bytes");
        h.mem.putLong(l + h.off("PyVarObject.ob_size"), 1L << 40);
        assertThrows(MemoryReadException.class, () -> h.objects.repr(l, 22));
        h.mem.putLong(l + h.off("PyVarObject.ob_size"), -3);
        assertThrows(MemoryReadException.class, () -> h.objects.repr(l, 22));
    }

    @Test
    void dictWithInconsistentKeysFails() throws Exception {
        Heap h = new Heap();
        long d = h.dict(new long[] {h.asciiStr("a", 1)}, new long[] {h.none}, 3);
        long keys = h.readLong(d + h.off("PyDictObject.ma_keys"));
        assertEquals(h.none, h.objects.dictLookup(d, "a"));
        h.mem.putLong(keys + h.off("PyDictKeysObject.dk_nentries"), 9);   // more entries than slots
        assertThrows(MemoryReadException.class, () -> h.objects.dictLookup(d, "a"));
        h.mem.putLong(keys + h.off("PyDictKeysObject.dk_nentries"), 1);
        h.mem.putByte(keys + h.off("PyDictKeysObject.dk_log2_size"), 60);
        assertThrows(MemoryReadException.class, () -> h.objects.dictLookup(d, "a"));
        h.mem.putByte(keys + h.off("PyDictKeysObject.dk_log2_size"), 3);
        h.mem.putByte(keys + h.off("PyDictKeysObject.dk_kind"), 7);
        assertThrows(MemoryReadException.class, () -> h.objects.repr(d, 100));
        h.mem.putByte(keys + h.off("PyDictKeysObject.dk_kind"), 1);
        h.mem.putLong(d + h.off("PyDictObject.ma_used"), -1);
        assertThrows(MemoryReadException.class, () -> h.objects.dictItems(d, 10, (k, v) -> { }));
    }

    @Test
    void intWithOutOfRangeDigitOrSignFails() throws Exception {
        Heap h = new Heap();
        long i = h.smallInt(7);
        h.mem.putInt(i + h.off("PyLongObject.ob_digit"), 1 << 30);
        assertThrows(MemoryReadException.class, () -> h.objects.longValue(i));
        assertThrows(MemoryReadException.class, () -> h.objects.repr(i, 10));
        long j = h.smallInt(7);
        h.mem.putLong(j + h.off("PyLongObject.lv_tag"), (1L << 3) | 3);
        assertThrows(MemoryReadException.class, () -> h.objects.longValue(j));
        long k = h.smallInt(7);
        h.mem.putLong(k + h.off("PyLongObject.lv_tag"), (1L << 50) << 3);
        assertThrows(MemoryReadException.class, () -> h.objects.repr(k, 10));
    }

    @Test
    void intTooWideForALongFailsButHasARepr() throws Exception {
        Heap h = new Heap();
        long o = h.object(h.intType, 48);
        h.mem.putLong(o + h.off("PyLongObject.lv_tag"), (4L << 3) | 2);   // negative, 4 digits
        for (int d = 0; d < 4; d++) {
            h.mem.putInt(o + h.off("PyLongObject.ob_digit") + 4L * d, d == 3 ? 1 : 0);
        }
        assertThrows(MemoryReadException.class, () -> h.objects.longValue(o));
        assertEquals("-" + java.math.BigInteger.ONE.shiftLeft(90), h.objects.repr(o, 100));
    }

    @Test
    void capKeepsAtMostMaxLengthChars() {
        assertEquals("abc", PyObjects.cap("abc", 3));
        assertEquals("a...", PyObjects.cap("abcde", 4));
        assertEquals("..", PyObjects.cap("abcde", 2));
        assertEquals("...", PyObjects.cap("\uD83D\uDE00abc", 4), "never splits a surrogate pair");
    }

    @Test
    void floatReprIsPythonsShortestRoundTrip() {
        String[][] cases = {
                {"0.1", "0.1"}, {"1e20", "1e+20"}, {"-1.5", "-1.5"}, {"1e16", "1e+16"},
                {"1e15", "1000000000000000.0"}, {"1e-5", "1e-05"}, {"1e-4", "0.0001"}, {"5e-324", "5e-324"},
                {"1.7976931348623157e308", "1.7976931348623157e+308"}, {"0.3", "0.3"},
                {"0.6666666666666666", "0.6666666666666666"}, {"100", "100.0"}, {"1e22", "1e+22"},
                {"1e23", "1e+23"}, {"9007199254740993", "9007199254740992.0"}, {"123456789.123", "123456789.123"},
                {"1152921504606846976", "1.152921504606847e+18"}, {"2.2250738585072014e-308", "2.2250738585072014e-308"},
                {"-0.0", "-0.0"}, {"0", "0.0"}, {"1.5e300", "1.5e+300"}, {"12345678901234567", "1.2345678901234568e+16"},
        };
        for (String[] c : cases) {
            assertEquals(c[1], PyFloatFormat.repr(Double.parseDouble(c[0])), c[0]);
        }
        assertEquals("inf", PyFloatFormat.repr(Double.POSITIVE_INFINITY));
        assertEquals("-inf", PyFloatFormat.repr(Double.NEGATIVE_INFINITY));
        assertEquals("nan", PyFloatFormat.repr(Double.NaN));
    }
}

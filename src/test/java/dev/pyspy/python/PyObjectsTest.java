package dev.pyspy.python;

import dev.pyspy.testing.NeedsRoot;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pyspy.process.ProcessMemory;
import dev.pyspy.process.MemoryReadException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
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

    private static final String CHILD = """
            import sys, json, threading, random, warnings
            warnings.simplefilter('ignore')
            PY2 = sys.version_info[0] == 2
            text_type = unicode if PY2 else str
            if PY2:
                import thread
                get_ident = thread.get_ident
            else:
                get_ident = threading.get_ident

            KEEP = []
            RECORDS = []

            def add(label, obj, exact=True, **kw):
                rec = {'label': label, 'id': id(obj), 'type': type(obj).__name__}
                if exact:
                    r = repr(obj)
                    if len(r) <= 5000:
                        rec['repr'] = r
                    else:
                        rec['reprHead'] = r[:1000]
                        rec['reprLen'] = len(r)
                rec.update(kw)
                RECORDS.append(rec)
                KEEP.append(obj)

            class Named(object):
                def __init__(self, name):
                    self._name = name
                    self._ident = 42
                    self.daemon = False

            class Wide(object):
                def __init__(self):
                    for i in range(40):
                        setattr(self, 'a%d' % i, i)
                    self._name = 'wide'

            class Plain(object):
                pass

            class S(text_type):
                pass

            # strings of every representation
            if PY2:
                for label, s in [('str-ascii', 'abc'), ('str-empty', ''), ('str-utf8', 'h\\xc3\\xa9llo'),
                                 ('str-invalid-utf8', 'a\\xff\\xfeb'), ('str-quotes', 'it\\'s'),
                                 ('str-both-quotes', 'both \\' and "'), ('str-escapes', 'tab\\there\\nnl\\r\\x00\\x7f\\\\')]:
                    add(label, s, text=s.decode('utf-8', 'replace'))
                for label, s in [('unicode-latin1', u'h\\xe9llo'), ('unicode-ucs2', u'\\u03a9\\u2248\\xe7'),
                                 ('unicode-astral', u'\\U0001F600x'), ('unicode-quotes', u'it\\'s "q"'),
                                 ('unicode-dquote', u'it\\'s'), ('unicode-escapes', u'\\x00\\x7f\\x80\\xff\\t\\u200b')]:
                    add(label, s, text=s)
                big = 'x' * 100000 + 'end'
                add('str-100k', big, text=big)
            else:
                for label, s in [('str-ascii', 'abc'), ('str-empty', ''), ('str-latin1', 'h\\xe9llo'),
                                 ('str-ucs2', '\\u03a9\\u2248\\xe7'), ('str-ucs4', '\\U0001F600x'),
                                 ('str-quotes', "it's"), ('str-dquotes', 'say "hi"'), ('str-both-quotes', 'both \\' and "'),
                                 ('str-escapes', 'tab\\there\\nnl\\r\\x00\\x7f\\\\'),
                                 ('str-nonprintable', '\\u200b\\xa0\\xad\\u2028x'), ('str-surrogate', 'a\\ud800b'),
                                 ('str-astral-nonprintable', '\\U000e0001\\U0010fffd')]:
                    add(label, s, text=s)
                for label, s in [('strsub-latin1', S('h\\xe9llo')), ('strsub-ascii', S('abc')),
                                 ('strsub-ucs4', S('\\U0001F600'))]:
                    add(label, s, exact=False, text=text_type(s))
                big = 'x' * 100000 + 'end'
                add('str-100k', big, text=big)
                if sys.version_info < (3, 12):
                    # a legacy string not made ready: its text is only in wstr (wchar_t, 4 bytes here)
                    import ctypes
                    new_legacy = ctypes.pythonapi.PyUnicode_FromUnicode
                    new_legacy.restype = ctypes.py_object
                    new_legacy.argtypes = [ctypes.c_void_p, ctypes.c_ssize_t]
                    as_wstr = ctypes.pythonapi.PyUnicode_AsUnicode
                    as_wstr.restype = ctypes.c_void_p
                    as_wstr.argtypes = [ctypes.py_object]
                    wtext = 'h\\xe9\\U0001F600lo'
                    legacy = new_legacy(None, len(wtext))
                    ctypes.memmove(as_wstr(legacy), wtext.encode('utf-32-le'), 4 * len(wtext))
                    add('str-legacy-not-ready', legacy, exact=False, text=wtext)
                add('bytes-empty', b'')
                add('bytes-ascii', b'abc')
                add('bytes-mixed', b'\\x00\\xff\\'"\\\\\\t')
                add('bytes-all', bytes(bytearray(range(256))))
                add('bytes-100k', b'y' * 100000)

            # numbers
            for label, v in [('int-0', 0), ('int-neg5', -5), ('int-2^100', 2 ** 100), ('int-neg2^70', -(2 ** 70)),
                             ('int-2^63', 2 ** 63), ('int-2^64-1', 2 ** 64 - 1), ('int-2^30', 2 ** 30),
                             ('int-2^60+7', 2 ** 60 + 7), ('int-neg2^63', -(2 ** 63)), ('int-big', 7 ** 400)]:
                add(label, v, int=str(v))
            if PY2:
                add('long-small', long(7), int='7')
                add('long-zero', long(0), int='0')
            add('bool-true', True, int='1')
            add('bool-false', False, int='0')
            add('none', None)
            rnd = random.Random(1234)
            specials = [0.1, 1e20, -1.5, float('inf'), float('-inf'), float('nan'), 0.0, -0.0, 1e16, 1e15,
                        1e-5, 1e-4, 5e-324, 1.7976931348623157e308, 123456789.123, 2.0 ** 60, 0.3, 2 / 3.0,
                        1e22, 1e23, 9007199254740993.0, 100.0, 1.5e300, 2.2250738585072014e-308]
            randoms = [rnd.uniform(-1, 1) * 10 ** rnd.randint(-30, 30) for _ in range(300)]
            powers = [2.0 ** e for e in range(-1074, 1024, 11)]
            for i, f in enumerate(specials + randoms + powers):
                add('float-%d' % i, f)

            # sequences
            add('tuple-empty', ())
            add('tuple-1', (1,))
            add('tuple-3', (1, 'a', None))
            add('list-empty', [])
            add('list-nested', [1, [2, [3, [4, [5]]]]])
            add('list-mixed', [1.5, 'two', b'3', (4,), {'five': 5}, None, True])
            selfref = [1]
            selfref.append(selfref)
            add('list-self', selfref)
            tl = ([],)
            tl[0].append(tl)
            add('tuple-list-cycle', tl)
            deep = ['bottom']
            for _ in range(10):
                deep = [deep]
            add('list-deep', deep, exact=False)
            add('list-100k', list(range(100000)))

            # dicts
            add('dict-empty', {})
            add('dict-str', {'a': 1, 'b': [1, 2], 'c': {'d': None}})
            gd = {1: 'x', (1, 2): None, 'k': 2.5, 2.5: b'b'}
            add('dict-general', gd, lookups={'k': id(gd['k']), 'x': 0})
            dd = dict((str(i), i) for i in range(20))
            for i in range(0, 20, 3):
                del dd[str(i)]
            dd['new'] = -1
            add('dict-deleted', dd, lookups={'new': id(dd['new']), '19': id(dd['19']), '0': 0})
            # keys of every text kind: the one-read comparison of compact ASCII keys must leave the
            # others (latin-1, UCS-2, a str subclass, a same-length near miss, a non-str) to the full one
            tk = {u'caf\\xe9': 1, u'\\u043a\\u043b\\u044e\\u0447': 2, 'kk': 3, S('sub'): 4, 42: 5, 'k' * 40: 6}
            add('dict-text-keys', tk, exact=False, lookups={u'caf\\xe9': id(tk[u'caf\\xe9']),
                                                            u'\\u043a\\u043b\\u044e\\u0447': id(tk[u'\\u043a\\u043b\\u044e\\u0447']),
                                                            'kk': id(tk['kk']), 'sub': id(tk['sub']), 'k' * 40: id(tk['k' * 40]),
                                                            'kx': 0, 'caf': 0, 'k' * 39: 0})
            ds = {'k': 1}
            ds['self'] = ds
            add('dict-self', ds)
            add('dict-100k', dict((i, i) for i in range(100000)))

            # instances and their dicts in every layout
            t1 = Named('worker-1')
            add('inst-values', t1, exact=False, attrs={'_name': id(t1._name), '_ident': id(t1._ident), '_missing': 0})
            n1 = Named('n1')
            nd = n1.__dict__
            add('inst-dict-materialized', n1, exact=False, attrs={'_name': id(n1._name), 'nope': 0})
            add('split-dict', nd, lookups={'_name': id(nd['_name']), 'daemon': id(nd['daemon']), 'nope': 0})
            q = Plain()
            q.a = 1
            q.b = 2
            del q.a
            q.a = 3
            add('inst-reordered', q, exact=False, attrs={'a': id(q.a), 'b': id(q.b)})
            add('split-dict-reordered', q.__dict__)
            t3 = Named('t3')
            del t3._ident
            add('inst-deleted-attr', t3, exact=False, attrs={'_name': id(t3._name), '_ident': 0})
            t4 = Named('t4')
            t4.__dict__ = {'_name': 'replaced'}
            add('inst-dict-replaced', t4, exact=False, attrs={'_name': id(t4._name), '_ident': 0})
            wide = Wide()
            add('inst-wide', wide, exact=False, attrs={'_name': id(wide._name), 'a39': id(wide.a39)})
            add('inst-empty', Plain(), exact=False, attrs={'x': 0})
            if PY2:
                class Old:
                    def __init__(self):
                        self._name = 'old-style'
                old = Old()
                add('inst-oldstyle', old, exact=False, attrs={'_name': id(old._name)})
            th = threading.Thread(name='worker-7', target=len)
            name_attr = '_Thread__name' if PY2 else '_name'
            add('thread-unstarted', th, exact=False, attrs={name_attr: id(getattr(th, name_attr))})
            main = threading.current_thread()
            add('thread-main', main, exact=False, attrs={name_attr: id(getattr(main, name_attr))},
                mainName=getattr(main, name_attr))
            mod = sys.modules['threading']
            add('module-threading', mod, exact=False, attrs={'_active': id(threading._active), 'nope_zz': 0})
            key = [k for k in threading._active if threading._active[k] is main][0]
            add('threading-active', threading._active, exact=False, items=[[id(key), id(main)]])
            add('thread-ident', key, int=str(get_ident()))
            g = sys.modules['__main__'].__dict__
            add('main-globals', g, exact=False, lookups={'Named': id(Named), 'KEEP': id(KEEP), 'nothere': 0})

            sys.stdout.write(json.dumps({'version': list(sys.version_info[:3]), 'records': RECORDS}) + '\\n')
            sys.stdout.flush()
            sys.stdin.read()
            """;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<String, Child> CHILDREN = new HashMap<>();

    /** A running child interpreter and a reader of its memory. */
    private record Child(Process process, ProcMemMemory memory, PyObjects objects, PythonVersion version,
                         List<JsonNode> records, String problem) {
    }

    static Stream<Arguments> interpreters() {
        Set<String> paths = new LinkedHashSet<>();
        for (String v : List.of("2.7.18", "3.6.15", "3.7.16", "3.8.18", "3.9.18", "3.10.13", "3.11.7", "3.12.1", "3.13.0")) {
            paths.add("/root/.pyenv/versions/" + v + "/bin/python");
        }
        Path pyenv = Path.of("/root/.pyenv/versions");
        if (Files.isDirectory(pyenv)) {
            try (Stream<Path> dirs = Files.list(pyenv)) {
                dirs.sorted().map(d -> d.resolve("bin/python")).filter(Files::isExecutable)
                        .forEach(p -> paths.add(p.toString()));
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
        paths.add("/usr/bin/python3.11");
        return paths.stream().map(p -> Arguments.of(p));
    }

    private static synchronized Child child(String path) throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of(path)), "interpreter " + path + " is not installed");
        Child c = CHILDREN.get(path);
        if (c == null) {
            c = start(path);
            CHILDREN.put(path, c);
        }
        Assumptions.assumeTrue(c.problem() == null, c.problem());
        return c;
    }

    private static Child start(String path) throws Exception {
        Process p = new ProcessBuilder(path, "-c", CHILD).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String line = out.readLine();
        if (line == null) {
            p.destroyForcibly();
            throw new IllegalStateException(path + " printed nothing (exit " + p.waitFor() + ")");
        }
        JsonNode doc = JSON.readTree(line);
        JsonNode v = doc.get("version");
        PythonVersion version = PythonVersion.of(v.get(0).asInt(), v.get(1).asInt(), v.get(2).asInt());
        List<JsonNode> records = new ArrayList<>();
        doc.get("records").forEach(records::add);
        Layout layout = LayoutData.BUNDLED.table(version.majorMinor());
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
            c.process().getOutputStream().close();
            if (!c.process().waitFor(5, TimeUnit.SECONDS)) {
                c.process().destroyForcibly();
            }
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
    void reprEqualsPythonsOwnReprForEveryBuiltinKind(String path) throws Exception {
        Child c = child(path);
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
    void reprOfHugeObjectsReadsOnlyWhatItShows(String path) throws Exception {
        Child c = child(path);
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
    void reprShowsContainersNestedTooDeeplyAsEllipsis(String path) throws Exception {
        Child c = child(path);
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
    void reprOfOtherObjectsNamesTheirTypeAndAddress(String path) throws Exception {
        Child c = child(path);
        forEach(c, "attrs", rec -> {
            long id = rec.get("id").asLong();
            String expected = "<" + rec.get("type").asText() + " at 0x" + Long.toHexString(id) + ">";
            assertEquals(expected, c.objects().repr(id, 500));
        });
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("interpreters")
    void readStringReturnsTheTextOfEveryStringKind(String path) throws Exception {
        Child c = child(path);
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
    void readBytesReturnsTheContentOfBytesObjects(String path) throws Exception {
        Child c = child(path);
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
    void attributeFindsInstanceAttributesInEveryDictLayout(String path) throws Exception {
        Child c = child(path);
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
    void threadNameIsReadThroughItsNameAttribute(String path) throws Exception {
        Child c = child(path);
        forEach(c, "mainName", rec -> {
            long thread = rec.get("id").asLong();
            String attr = c.version().major() == 2 ? "_Thread__name" : "_name";
            long name = c.objects().attribute(thread, attr);
            assertEquals(rec.get("mainName").asText(), c.objects().readString(name));
        });
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("interpreters")
    void dictLookupFindsStrKeysInEveryTableLayout(String path) throws Exception {
        Child c = child(path);
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
    void dictItemsVisitsThreadingActiveWithIntKeys(String path) throws Exception {
        Child c = child(path);
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
    void longValueReadsIntsThatFitIn64Bits(String path) throws Exception {
        Child c = child(path);
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
    void typeNameIsTheTypesOwnName(String path) throws Exception {
        Child c = child(path);
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

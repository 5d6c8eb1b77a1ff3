package dev.pyspy.process;

import com.sun.jna.Pointer;
import dev.pyspy.PyspyException;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ProcMapsTest {

    private static final String SAMPLE = """
            00400000-0041f000 r--p 00000000 fd:01 1315023                            /usr/bin/python3.11
            0041f000-006d2000 r-xp 0001f000 fd:01 1315023                            /usr/bin/python3.11
            01c3a000-01d9b000 rw-p 00000000 00:00 0                                  [heap]
            7f0e2c000000-7f0e2c021000 rw-p 00000000 00:00 0\s
            7f0e30000000-7f0e30100000 r-xp 00002000 08:02 42                         /tmp/my dir/lib x.so (deleted)
            7f0e31000000-7f0e31001000 rw-p 00000000 00:00 0                          [anon:glibc malloc]
            7ffd5e9a1000-7ffd5e9c2000 rw-p 00000000 00:00 0                          [stack]
            ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]
            """;

    @Test
    void parsesEveryFieldOfSyntheticLines() throws Exception {
        List<MemoryMapping> maps = ProcMaps.parse(SAMPLE);
        assertEquals(8, maps.size());

        MemoryMapping text = maps.get(1);
        assertEquals(0x41f000L, text.start());
        assertEquals(0x6d2000L, text.end());
        assertEquals("r-xp", text.perms());
        assertEquals(0x1f000L, text.offset());
        assertEquals("fd:01", text.dev());
        assertEquals(1315023L, text.inode());
        assertEquals("/usr/bin/python3.11", text.pathname());
        assertTrue(text.readable() && text.executable() && !text.writable() && text.isPrivate());
        assertEquals("python3.11", text.fileName());
        assertEquals("41f000-6d2000", text.rangeName());
    }

    @Test
    void handlesPseudoNamesAnonymousMemoryAndHighAddresses() throws Exception {
        List<MemoryMapping> maps = ProcMaps.parse(SAMPLE);
        assertEquals("[heap]", maps.get(2).pathname());
        assertTrue(maps.get(2).isPseudo());
        assertFalse(maps.get(2).isFile());
        assertEquals("", maps.get(3).pathname());
        assertEquals("[anon:glibc malloc]", maps.get(5).pathname());
        MemoryMapping vsyscall = maps.get(7);
        assertEquals(0xffffffffff600000L, vsyscall.start());
        assertTrue(vsyscall.contains(0xffffffffff600010L));
        assertFalse(vsyscall.contains(0x1000L));
    }

    @Test
    void deletedSuffixIsStrippedFromPathButKeptInPathname() throws Exception {
        MemoryMapping deleted = ProcMaps.parse(SAMPLE).get(4);
        assertTrue(deleted.deleted());
        assertEquals("/tmp/my dir/lib x.so (deleted)", deleted.pathname());
        assertEquals("/tmp/my dir/lib x.so", deleted.path());
        assertEquals("lib x.so", deleted.fileName());
        assertFalse(ProcMaps.parse(SAMPLE).get(0).deleted());
    }

    @Test
    void malformedLinesAreRejected() {
        assertThrows(PyspyException.class, () -> ProcMaps.parseLine("not a maps line"));
        assertThrows(PyspyException.class, () -> ProcMaps.parseLine("0040-zz r--p 0 fd:01 1 /x"));
        assertThrows(PyspyException.class, () -> ProcMaps.parseLine("00400000-0041f000 r--p 00000000"));
    }

    @Test
    void findsContainingMappingAndMappingsOfAFile() throws Exception {
        List<MemoryMapping> maps = ProcMaps.parse(SAMPLE);
        assertEquals("[heap]", ProcMaps.containing(maps, 0x01c3a100L).orElseThrow().pathname());
        assertTrue(ProcMaps.containing(maps, 0x10L).isEmpty());
        assertEquals(2, ProcMaps.ofFile(maps, "/usr/bin/python3.11").size());
        assertEquals(1, ProcMaps.ofFile(maps, "/tmp/my dir/lib x.so").size());
    }

    @Test
    void readsOwnMapsWithStackAndLibjvm() throws Exception {
        int self = (int) ProcessHandle.current().pid();
        List<MemoryMapping> maps = ProcMaps.read(self);
        assertTrue(maps.size() > 20);
        assertTrue(maps.stream().anyMatch(m -> m.pathname().equals("[stack]")));
        assertTrue(maps.stream().anyMatch(m -> m.fileName().equals("libjvm.so") && m.executable()));
        for (int i = 1; i < maps.size(); i++) {
            assertTrue(Long.compareUnsigned(maps.get(i - 1).end(), maps.get(i).start()) <= 0, "sorted, disjoint");
        }
    }

    @Test
    void nativeAllocationOfThisJvmLiesInAWritableMapping() throws Exception {
        try (com.sun.jna.Memory mem = new com.sun.jna.Memory(64)) {
            long address = Pointer.nativeValue(mem);
            MemoryMapping m = ProcMaps.containing(ProcMaps.read((int) ProcessHandle.current().pid()), address)
                    .orElseThrow();
            assertTrue(m.readable() && m.writable(), m.toString());
        }
    }
}

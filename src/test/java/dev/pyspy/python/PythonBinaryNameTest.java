package dev.pyspy.python;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The flavour of an interpreter as its file name tells it: a {@code t} marks a free-threaded build. */
class PythonBinaryNameTest {

    private static PythonBinary named(String path) {
        return new PythonBinary(path, null, 0, List.of());
    }

    @Test
    void theTSuffixMeansFreeThreaded() {
        assertTrue(named("/opt/py/bin/python3.13t").nameSaysFreeThreaded());
        assertTrue(named("/opt/py/lib/libpython3.13t.so.1.0").nameSaysFreeThreaded());
        assertTrue(named("/usr/lib/x86_64-linux-gnu/libpython3.14t.so.1.0 (deleted)").nameSaysFreeThreaded());
        assertFalse(named("/usr/bin/python3.14").nameSaysFreeThreaded());
        assertFalse(named("/usr/lib/libpython3.13.so.1.0").nameSaysFreeThreaded());
        assertFalse(named("/usr/bin/python3.11-dbg").nameSaysFreeThreaded());
        assertEquals("3.13", named("/opt/py/lib/libpython3.13t.so.1.0").versionFromName().majorMinor());
        assertEquals("3.15", named("/usr/bin/python3.15").versionFromName().majorMinor());
    }
}

package dev.pyspy.python;

import dev.pyspy.ExitCode;
import dev.pyspy.PyspyException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class UnsupportedVersionTest {

    @Test
    void pythonsWithoutALayoutAreRejectedByName() {
        for (PythonVersion v : new PythonVersion[]{PythonVersion.of(3, 5, 10), PythonVersion.of(2, 6, 9),
                PythonVersion.of(3, 40, 0)}) {
            PyspyException e = assertThrows(PyspyException.class, () -> PythonProcess.layoutFor(LayoutData.BUNDLED, v, null, 0, false));
            assertEquals(ExitCode.UNSUPPORTED_VERSION, e.exitCode());
            assertTrue(e.getMessage().contains(v.toString()), e.getMessage());
        }
    }

    @Test
    void versionsParseFromTheirHexAndTheirText() {
        assertEquals("3.12.1", PythonVersion.fromHex(0x030C01F0L).toString());
        assertEquals("3.13.0rc2", PythonVersion.fromHex(0x030D00C2L).toString());
        assertEquals("2.7.18", PythonVersion.parse("2.7.18 (default, Jan  1 2024, 00:00:00) \n[GCC 12.2.0]").toString());
        assertEquals(null, PythonVersion.parse("no version here"));
    }
}

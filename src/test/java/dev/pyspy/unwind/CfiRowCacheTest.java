package dev.pyspy.unwind;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The per-address rows: found again only for the module they were worked out in, bounded, starting over when full. */
class CfiRowCacheTest {

    private static CfiRow rowWithOffset(long cfaOffset) {
        CfiRow r = new CfiRow();
        r.cfaRegister = Registers.RSP;
        r.cfaOffset = cfaOffset;
        r.kind[Registers.RIP] = CfiRow.OFFSET;
        r.value[Registers.RIP] = -8;
        return r;
    }

    @Test
    void aRowIsFoundByAddressOnlyInItsOwnModule() {
        CfiRowCache cache = new CfiRowCache();
        Object libc = new Object();
        Object other = new Object();
        cache.put(0x7f00_0000_1000L, libc, rowWithOffset(16));
        CfiRow found = cache.get(0x7f00_0000_1000L, libc);
        assertNotNull(found);
        assertEquals(16, found.cfaOffset);
        assertEquals(-8, found.value[Registers.RIP]);
        assertNull(cache.get(0x7f00_0000_1001L, libc), "another address");
        assertNull(cache.get(0x7f00_0000_1000L, other), "a module mapped where libc was");
        cache.put(0x7f00_0000_1000L, other, rowWithOffset(32));
        assertEquals(32, cache.get(0x7f00_0000_1000L, other).cfaOffset);
        assertNull(cache.get(0x7f00_0000_1000L, libc));
        assertEquals(1, cache.size());
    }

    @Test
    void aFullCacheStartsOverAndKeepsWorking() {
        CfiRowCache cache = new CfiRowCache();
        Object module = new Object();
        int n = CfiRowCache.MAX_ENTRIES * 3 + 7;
        for (int i = 1; i <= n; i++) {
            cache.put(0x40_0000L + 16L * i, module, rowWithOffset(i));
            assertEquals(i, cache.get(0x40_0000L + 16L * i, module).cfaOffset);
            assertTrue(cache.size() <= CfiRowCache.MAX_ENTRIES);
        }
        assertEquals(n % CfiRowCache.MAX_ENTRIES, cache.size());
        assertNull(cache.get(0x40_0000L + 16L, module), "the first rows went with the first start-over");
    }
}

package dev.pyspy.python;

import dev.pyspy.process.MemoryReadException;
import dev.pyspy.process.ProcessMemory;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link BatchReads#readEach}: a range that cannot be read (an object freed and its memory unmapped
 * meanwhile) fails alone; every other range of the batch is still read, in few calls.
 */
class BatchReadsTest {
    /** Memory where every byte is its address's low byte, except in the pages named unmapped. */
    private static final class Holes implements ProcessMemory {
        final Set<Long> unmappedPages;
        long calls;

        Holes(Set<Long> unmappedPages) {
            this.unmappedPages = unmappedPages;
        }

        @Override
        public void read(long address, ByteBuffer dst, int length) throws MemoryReadException {
            readOne(address, dst, length);
            calls++;
        }

        @Override
        public void readAll(long[] addresses, ByteBuffer[] dsts, int[] lengths, int count) throws MemoryReadException {
            calls++; // one call, which stops at the first range it cannot read, as process_vm_readv does
            for (int i = 0; i < count; i++) {
                readOne(addresses[i], dsts[i], lengths[i]);
            }
        }

        private void readOne(long address, ByteBuffer dst, int length) throws MemoryReadException {
            for (long a = address; a < address + length; a++) {
                if (unmappedPages.contains(a >>> 12)) {
                    throw new MemoryReadException(address, length, "address not mapped");
                }
                dst.put((int) (a - address), (byte) a);
            }
            dst.position(0).limit(length);
        }

        @Override
        public long readCalls() {
            return calls;
        }
    }

    @Test
    void aBatchWithUnreadableRangesReadsEveryOtherRange() {
        Holes memory = new Holes(Set.of(0x13L, 0x2aL));
        BatchReads batch = new BatchReads(memory);
        int n = 64;
        for (int i = 0; i < n; i++) {
            batch.add(((long) i << 12) + 0x10 + i, 24);
        }
        assertFalse(batch.readEach());
        for (int i = 0; i < n; i++) {
            boolean mapped = i != 0x13 && i != 0x2a;
            assertEquals(mapped, batch.ok(i), "range " + i);
            if (mapped) {
                ByteBuffer b = batch.get(i);
                for (int k = 0; k < 24; k++) {
                    assertEquals((byte) (0x10 + i + k), b.get(k), "range " + i + " byte " + k);
                }
            }
        }
        // halves split until each hole is alone: about 2 log2(n) calls per hole, not one per range
        assertTrue(memory.calls <= 1 + 2 * 2 * 6, memory.calls + " calls");
    }

    @Test
    void aBatchWithoutHolesIsOneCall() {
        Holes memory = new Holes(Set.of());
        BatchReads batch = new BatchReads(memory);
        for (int i = 0; i < 100; i++) {
            batch.add(0x1000L + 32 * i, 32);
        }
        assertTrue(batch.readEach());
        for (int i = 0; i < 100; i++) {
            assertTrue(batch.ok(i));
        }
        assertEquals(1, memory.calls);
        batch.clear();
        batch.add(0x5000, 8);
        assertTrue(batch.readEach());
        assertEquals((byte) 0x00, batch.get(0).get(0));
        assertEquals(2, memory.calls);
    }
}

package dev.pyspy.python;

import dev.pyspy.process.MemoryReadException;
import dev.pyspy.process.ProcessMemory;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
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
        /** Ranges asked for, over all calls: the kernel's cost goes by these. */
        long ranges;

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
            ranges += count;
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

    @Test
    void anEmptyBatchReadsNothing() {
        Holes memory = new Holes(Set.of());
        BatchReads batch = new BatchReads(memory);
        assertTrue(batch.readEach());
        assertEquals(0, memory.calls);
    }

    @Test
    void rangesCloseTogetherAreReadAsOneWhateverTheirOrder() {
        Holes memory = new Holes(Set.of());
        BatchReads batch = new BatchReads(memory);
        // objects of one kind in an allocator's pool: 48 bytes apart, read 32 each, asked for in no order,
        // plus one overlapping another and one far away
        List<Long> starts = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            starts.add(0x10_0000L + 48L * i);
        }
        Collections.shuffle(starts, new Random(7));
        starts.add(0x10_0000L + 48 * 10 + 8);
        starts.add(0x90_0000L);
        for (long start : starts) {
            batch.add(start, 32);
        }
        assertTrue(batch.readEach());
        for (int i = 0; i < starts.size(); i++) {
            assertTrue(batch.ok(i));
            ByteBuffer b = batch.get(i);
            assertEquals(32, b.limit(), "range " + i + " reads as a read of its own");
            for (int k = 0; k < 32; k++) {
                assertEquals((byte) (starts.get(i) + k), b.get(k), "range " + i + " byte " + k);
            }
        }
        assertEquals(1, memory.calls);
        assertEquals(2, memory.ranges, "the pool as one range, and the far one");
    }

    @Test
    void aMergedRangeThatCannotBeReadHasItsRangesReadOneByOne() {
        Holes memory = new Holes(Set.of(0x21L));
        BatchReads batch = new BatchReads(memory);
        // three ranges close together, the last one's end in an unmapped page
        batch.add(0x20f00L, 64);
        batch.add(0x20f80L, 64);
        batch.add(0x20fe0L, 64);
        batch.add(0x40000L, 16);
        assertFalse(batch.readEach());
        assertTrue(batch.ok(0));
        assertTrue(batch.ok(1));
        assertFalse(batch.ok(2));
        assertTrue(batch.ok(3));
        assertEquals((byte) 0x80, batch.get(1).get(0));
        assertEquals((byte) 0x00, batch.get(3).get(0));
    }
}

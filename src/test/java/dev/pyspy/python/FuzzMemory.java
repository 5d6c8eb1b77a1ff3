package dev.pyspy.python;

import dev.pyspy.process.ProcessMemory;
import dev.pyspy.process.MemoryReadException;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * Fake address spaces for fuzzing the frame walker: an {@link Image} recorded from a real walk (with
 * sparse mutations laid over it), or {@link Random} memory made of pseudo-random words biased towards
 * pointers, zeros and small numbers. Both count reads and fail the test with {@link BudgetExceeded}
 * (an Error, so the code under test cannot swallow it) once a walk reads more than its budget.
 */
final class FuzzMemory {
    private FuzzMemory() {
    }

    /** The walk did unbounded work: more reads or bytes than any sample may take. */
    static final class BudgetExceeded extends Error {
        BudgetExceeded(String message) {
            super(message);
        }
    }

    /** Counts and limits reads; subclasses supply the bytes. */
    abstract static class Counting implements ProcessMemory {
        private final long maxReads;
        private final long maxBytes;
        long reads;
        long bytes;

        Counting(long maxReads, long maxBytes) {
            this.maxReads = maxReads;
            this.maxBytes = maxBytes;
        }

        void resetCounts() {
            reads = 0;
            bytes = 0;
        }

        @Override
        public final void read(long address, ByteBuffer dst, int length) throws MemoryReadException {
            if (++reads > maxReads) {
                throw new BudgetExceeded("more than " + maxReads + " reads in one walk");
            }
            if (length < 0 || length > dst.capacity()) {
                throw new IllegalArgumentException("read of " + length + " bytes into a buffer of " + dst.capacity());
            }
            bytes += length;
            if (bytes > maxBytes) {
                throw new BudgetExceeded("more than " + maxBytes + " bytes read in one walk");
            }
            dst.clear();
            fill(address, dst, length);
            dst.position(0).limit(length);
        }

        /** Puts {@code length} bytes from {@code address} at dst[0..length), or throws as unmapped memory does. */
        abstract void fill(long address, ByteBuffer dst, int length) throws MemoryReadException;

        @Override
        public long readCalls() {
            return reads;
        }
    }

    /** Disjoint byte ranges by start address, as recorded from a real process. */
    static final class Image {
        final TreeMap<Long, byte[]> segments = new TreeMap<>();

        /** Adds bytes read at {@code address}, merging with ranges they overlap or touch. */
        void add(long address, byte[] data) {
            long start = address;
            long end = address + data.length;
            Map.Entry<Long, byte[]> before = segments.floorEntry(address);
            if (before != null && before.getKey() + before.getValue().length >= address) {
                start = before.getKey();
            }
            NavigableMap<Long, byte[]> touched = segments.subMap(start, true, end, true);
            for (Map.Entry<Long, byte[]> e : touched.entrySet()) {
                end = Math.max(end, e.getKey() + e.getValue().length);
            }
            byte[] merged = new byte[(int) (end - start)];
            for (Map.Entry<Long, byte[]> e : touched.entrySet()) {
                System.arraycopy(e.getValue(), 0, merged, (int) (e.getKey() - start), e.getValue().length);
            }
            System.arraycopy(data, 0, merged, (int) (address - start), data.length);
            touched.clear();
            segments.put(start, merged);
        }

        long totalBytes() {
            return segments.values().stream().mapToLong(b -> b.length).sum();
        }

        /** Every 8-byte aligned word of the image that points into the image: pointer fields. */
        List<Long> pointerSlots() {
            List<Long> out = new ArrayList<>();
            for (Map.Entry<Long, byte[]> e : segments.entrySet()) {
                ByteBuffer b = ByteBuffer.wrap(e.getValue()).order(java.nio.ByteOrder.LITTLE_ENDIAN);
                long base = e.getKey();
                for (int off = (int) ((8 - (base & 7)) & 7); off + 8 <= e.getValue().length; off += 8) {
                    if (contains(b.getLong(off))) {
                        out.add(base + off);
                    }
                }
            }
            return out;
        }

        boolean contains(long address) {
            Map.Entry<Long, byte[]> e = segments.floorEntry(address);
            return e != null && address < e.getKey() + e.getValue().length;
        }

        /** A uniformly chosen byte address inside the image. */
        long randomAddress(SplittableRandom random) {
            long total = totalBytes();
            long pick = random.nextLong(total);
            for (Map.Entry<Long, byte[]> e : segments.entrySet()) {
                if (pick < e.getValue().length) {
                    return e.getKey() + pick;
                }
                pick -= e.getValue().length;
            }
            throw new IllegalStateException();
        }
    }

    /** A recorded image with mutations laid over it: changed bytes, and whole ranges made unreadable. */
    static final class Mutated extends Counting {
        private final Image image;
        final TreeMap<Long, Byte> changed = new TreeMap<>();
        final List<long[]> unreadable = new ArrayList<>();

        Mutated(Image image, long maxReads, long maxBytes) {
            super(maxReads, maxBytes);
            this.image = image;
        }

        void putLong(long address, long value) {
            for (int i = 0; i < 8; i++) {
                changed.put(address + i, (byte) (value >>> (8 * i)));
            }
        }

        void putInt(long address, int value) {
            for (int i = 0; i < 4; i++) {
                changed.put(address + i, (byte) (value >>> (8 * i)));
            }
        }

        @Override
        void fill(long address, ByteBuffer dst, int length) throws MemoryReadException {
            Map.Entry<Long, byte[]> e = image.segments.floorEntry(address);
            if (e == null || address + length > e.getKey() + e.getValue().length || address + length < address) {
                throw new MemoryReadException(address, length, "unmapped");
            }
            for (long[] r : unreadable) {
                if (address < r[1] && address + length > r[0]) {
                    throw new MemoryReadException(address, length, "unmapped (mutation)");
                }
            }
            dst.put(0, e.getValue(), (int) (address - e.getKey()), length);
            for (Map.Entry<Long, Byte> c : changed.subMap(address, true, address + length, false).entrySet()) {
                dst.put((int) (c.getKey() - address), c.getValue());
            }
        }
    }

    /**
     * Pseudo-random memory: a few 1 MiB regions are readable (everything else is unmapped), or with
     * {@code everythingMapped} the whole user address space is, filled with words that are, by a hash
     * of their address, pointers into the regions, zeros, small numbers, -1 or anything. The same
     * address always holds the same bytes.
     */
    static final class Random extends Counting {
        static final long REGION_SIZE = 1 << 20;
        static final long[] REGIONS = {0x5555_0000_0000L, 0x7f00_0000_0000L, 0x7f10_0000_0000L, 0x7f20_0000_0000L};
        private final long seed;
        private final boolean everythingMapped;

        Random(long seed, boolean everythingMapped, long maxReads, long maxBytes) {
            super(maxReads, maxBytes);
            this.seed = seed;
            this.everythingMapped = everythingMapped;
        }

        /** An address inside a region, 8-byte aligned. */
        static long pointer(long h) {
            long region = REGIONS[(int) Long.remainderUnsigned(h, REGIONS.length)];
            return region + (Long.remainderUnsigned(h >>> 8, REGION_SIZE) & ~7L);
        }

        /**
         * The one address every "type" word points to: with it as the code type, many random
         * objects pass for code objects, strings or dicts, and the walk gets deep into them.
         */
        long hotType() {
            return pointer(mix(seed ^ 0x7e57));
        }

        long word(long address) {
            long h = mix(address * 0x9E3779B97F4A7C15L ^ seed);
            if (everythingMapped) {
                // hardly ever unreadable: walks go on until a limit of the walker ends them
                return switch ((int) Long.remainderUnsigned(h, 20)) {
                    case 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 -> pointer(h >>> 5);
                    case 12, 13 -> hotType();
                    case 14 -> 0;
                    case 15, 16 -> Long.remainderUnsigned(h >>> 8, 4096);
                    case 17 -> (h >>> 8) & 0xffff_ffffL;
                    default -> (0x1000 + Long.remainderUnsigned(h >>> 8, (1L << 47) - 0x2000)) & ~7L;
                };
            }
            switch ((int) Long.remainderUnsigned(h, 32)) {
                case 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15:
                    return pointer(h >>> 5);
                case 16, 17, 18:
                    return hotType();
                case 19, 20:
                    return 0;
                case 21, 22:
                    return Long.remainderUnsigned(h >>> 8, 64);
                case 23, 24:
                    return Long.remainderUnsigned(h >>> 8, 4096);
                case 25:
                    return -1;
                case 26:
                    return (h >>> 8) & 0xffff_ffffL; // flags-like: any bits of an int
                default:
                    return mix(h);
            }
        }

        static long mix(long z) {
            z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
            z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
            return z ^ (z >>> 31);
        }

        private static boolean mapped(long address, int length) {
            for (long r : REGIONS) {
                if (address >= r && address + length <= r + REGION_SIZE && address + length >= address) {
                    return true;
                }
            }
            return false;
        }

        @Override
        void fill(long address, ByteBuffer dst, int length) throws MemoryReadException {
            boolean user = address >= 0x1000 && address + length <= 1L << 47 && address + length >= address;
            if (everythingMapped ? !user : !mapped(address, length)) {
                throw new MemoryReadException(address, length, "unmapped");
            }
            int i = 0;
            while (i < length) {
                long a = address + i;
                long w = word(a & ~7L);
                int shift = (int) (a & 7);
                int n = Math.min(8 - shift, length - i);
                for (int k = 0; k < n; k++) {
                    dst.put(i + k, (byte) (w >>> (8 * (shift + k))));
                }
                i += n;
            }
        }
    }

    /** Passes reads through to a real process and records every byte read into an {@link Image}. */
    static final class Recording implements ProcessMemory {
        private final ProcessMemory delegate;
        final Image image = new Image();

        Recording(ProcessMemory delegate) {
            this.delegate = delegate;
        }

        @Override
        public void read(long address, ByteBuffer dst, int length) throws MemoryReadException {
            delegate.read(address, dst, length);
            byte[] copy = new byte[length];
            dst.get(0, copy, 0, length);
            image.add(address, copy);
        }

        @Override
        public long readCalls() {
            return delegate.readCalls();
        }
    }
}

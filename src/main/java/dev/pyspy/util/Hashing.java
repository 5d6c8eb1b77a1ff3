package dev.pyspy.util;

/** Hashing for the open-addressing maps keyed by longs (addresses, packed ids). */
public final class Hashing {
    private Hashing() {
    }

    /** Murmur3's 64-bit finalizer folded to 32 bits: addresses are aligned, so their low bits alone would cluster. */
    public static int mix(long key) {
        long h = key ^ (key >>> 33);
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        return (int) (h ^ (h >>> 33));
    }
}

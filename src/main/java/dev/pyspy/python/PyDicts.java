package dev.pyspy.python;

import dev.pyspy.process.MemoryReadException;

import java.nio.ByteBuffer;

import static dev.pyspy.python.ObjectReads.ABSURD_LENGTH;
import static dev.pyspy.python.ObjectReads.CHUNK;
import static dev.pyspy.python.ObjectReads.MISSING;
import static dev.pyspy.python.ObjectReads.checkObject;
import static dev.pyspy.python.ObjectReads.checkPointer;

/**
 * Dicts in every form (2.7's open table; 3.6+'s compact, split and unicode-keyed tables) and
 * instance attributes: an instance's {@code __dict__}, or its managed dict and inline values (3.11+).
 * Which form a version has is told by which keys its layout has.
 */
final class PyDicts {
    /** Most dict entries or table slots one lookup or iteration scans. */
    static final long MAX_DICT_SCAN = 1L << 22;

    /** Receives a dict's key and value addresses; returns false to stop the iteration. */
    @FunctionalInterface
    interface EntryVisitor {
        boolean visit(long key, long value) throws MemoryReadException;
    }

    /** A dict keys object resolved: entries address and shape. */
    private record Keys(long entries, int entrySize, int keyOff, int valueOff, long nentries, boolean unicode) {
    }

    private final ObjectReads reads;
    private final PyTypes types;
    private final PyText text;
    private final int obSize;
    private final int htCachedKeys;
    private final int maUsed;
    private final int maKeys;
    private final int maValues;
    // 2.7: ma_mask + 1 slots of (hash, key, value)
    private final int maMask;
    private final int maTable;
    private final int oldEntrySize;
    private final int oldEntryKey;
    private final int oldEntryValue;
    // 3.6-3.10: dk_size; 3.11+: dk_log2_size, dk_log2_index_bytes and dk_kind
    private final int dkSize;
    private final int dkLog2Size;
    private final int dkLog2IndexBytes;
    private final int dkKind;
    private final int dkNentries;
    private final int dkIndices;
    private final int keyEntrySize;
    private final int keyEntryKey;
    private final int keyEntryValue;
    private final int uniEntrySize;
    private final int uniEntryKey;
    private final int uniEntryValue;
    // PyDictValues: a bare PyObject *values[] up to 3.12; capacity, size, embedded, valid bytes first since 3.13
    private final int valuesValues;
    private final int valuesValid;
    private final int valuesCapacity;
    private final int valuesSize;
    // instance dicts
    private final boolean python2;
    private final int instanceDict;
    private final long managedDictFlag;
    private final long inlineValuesFlag;
    private final int managedDictOffset;
    private final int managedValuesOffset;

    PyDicts(ObjectReads reads, PyTypes types, PyText text) {
        this.reads = reads;
        this.types = types;
        this.text = text;
        Layout layout = reads.layout();
        obSize = reads.optional("PyVarObject.ob_size");
        htCachedKeys = reads.optional("PyHeapTypeObject.ht_cached_keys");
        maUsed = reads.optional("PyDictObject.ma_used");
        maKeys = reads.optional("PyDictObject.ma_keys");
        maValues = reads.optional("PyDictObject.ma_values");
        maMask = reads.optional("PyDictObject.ma_mask");
        maTable = reads.optional("PyDictObject.ma_table");
        oldEntrySize = reads.optional("sizeof.PyDictEntry");
        oldEntryKey = reads.optional("PyDictEntry.me_key");
        oldEntryValue = reads.optional("PyDictEntry.me_value");
        dkSize = reads.optional("PyDictKeysObject.dk_size");
        dkLog2Size = reads.optional("PyDictKeysObject.dk_log2_size");
        dkLog2IndexBytes = reads.optional("PyDictKeysObject.dk_log2_index_bytes");
        dkKind = reads.optional("PyDictKeysObject.dk_kind");
        dkNentries = reads.optional("PyDictKeysObject.dk_nentries");
        dkIndices = reads.optional("PyDictKeysObject.dk_indices");
        keyEntrySize = reads.optional("sizeof.PyDictKeyEntry");
        keyEntryKey = reads.optional("PyDictKeyEntry.me_key");
        keyEntryValue = reads.optional("PyDictKeyEntry.me_value");
        uniEntrySize = reads.optional("sizeof.PyDictUnicodeEntry");
        uniEntryKey = reads.optional("PyDictUnicodeEntry.me_key");
        uniEntryValue = reads.optional("PyDictUnicodeEntry.me_value");
        // before 3.11 ma_values points at the values array itself (no PyDictValues struct)
        valuesValues = layout.offsetOr("PyDictValues.values", 0);
        valuesValid = reads.optional("PyDictValues.valid");
        valuesCapacity = reads.optional("PyDictValues.capacity");
        valuesSize = reads.optional("PyDictValues.size");
        python2 = text.python2();
        instanceDict = reads.optional("PyInstanceObject.in_dict");
        managedDictFlag = layout.value("const.Py_TPFLAGS_MANAGED_DICT", 0);
        inlineValuesFlag = layout.value("const.Py_TPFLAGS_INLINE_VALUES", 0);
        managedDictOffset = reads.optional("const.MANAGED_DICT_OFFSET");
        managedValuesOffset = reads.optional("const.MANAGED_VALUES_OFFSET");
    }

    /** The value stored under the str key {@code key}, or 0 when there is none. */
    long lookup(long dict, String key) throws MemoryReadException {
        PyText.Key k = PyText.Key.of(key);
        long[] found = {0};
        forEachEntry(dict, Long.MAX_VALUE, (entryKey, value) -> {
            if (text.textEquals(entryKey, k)) {
                found[0] = value;
                return false;
            }
            return true;
        });
        return found[0];
    }

    /** {@code ma_used}: how many items the dict holds. */
    long size(long dict) throws MemoryReadException {
        return reads.readLong(dict + reads.need(maUsed, "PyDictObject.ma_used"));
    }

    /**
     * Visits at most {@code maxItems} (key, value) address pairs: in insertion order for 3.6+ dicts (split
     * tables included), in table order for 2.7 (the order Python 2 itself iterates in).
     */
    void forEachEntry(long dict, long maxItems, EntryVisitor v) throws MemoryReadException {
        checkObject(dict);
        PyTypes.Info t = types.of(dict);
        if (!t.has(PyTypes.TPFLAGS_DICT_SUBCLASS)) {
            throw PyTypes.notA("dict", dict, t);
        }
        if (maxItems <= 0) {
            return;
        }
        long used = size(dict);
        if (used < 0 || used > ABSURD_LENGTH) {
            throw new MemoryReadException(String.format("dict at 0x%x has implausible ma_used %d", dict, used));
        }
        if (maTable != MISSING) {
            forEachOldEntry(dict, used, maxItems, v);
            return;
        }
        long keysAddr = reads.readLong(dict + reads.need(maKeys, "PyDictObject.ma_keys"));
        long values = reads.readLong(dict + reads.need(maValues, "PyDictObject.ma_values"));
        if (used == 0) {
            return;
        }
        Keys keys = keys(keysAddr);
        if (values == 0) {
            scanEntries(keys.entries(), keys.nentries(), keys.entrySize(), keys.keyOff(), keys.valueOff(), maxItems, v);
        } else {
            forEachSplit(keys, values, maxItems, v);
        }
    }

    /** Python 2.7: ma_mask + 1 slots of (hash, key, value); live slots have a value. */
    private void forEachOldEntry(long dict, long used, long maxItems, EntryVisitor v) throws MemoryReadException {
        long mask = reads.readLong(dict + reads.need(maMask, "PyDictObject.ma_mask"));
        long table = reads.readLong(dict + maTable);
        if (mask < 0 || mask >= ABSURD_LENGTH || Long.bitCount(mask + 1) != 1 || used > mask + 1) {
            throw new MemoryReadException(String.format("dict at 0x%x has implausible ma_mask %d (ma_used %d)", dict, mask, used));
        }
        checkPointer(table, 8);
        scanEntries(table, mask + 1, reads.need(oldEntrySize, "sizeof.PyDictEntry"),
                reads.need(oldEntryKey, "PyDictEntry.me_key"), reads.need(oldEntryValue, "PyDictEntry.me_value"),
                Math.min(used, maxItems), v);
    }

    /**
     * Visits the live (key and value set) entries among {@code count} entries of {@code entrySize}
     * bytes from {@code start}, reading them in chunks, until {@code stopAfter} were visited.
     */
    private void scanEntries(long start, long count, int entrySize, int keyOff, int valueOff, long stopAfter,
                             EntryVisitor v) throws MemoryReadException {
        long seen = 0;
        for (long i = 0; i < count && seen < stopAfter; ) {
            if (i >= MAX_DICT_SCAN) {
                throw new MemoryReadException(String.format("dict at 0x%x has more than %d slots", start, MAX_DICT_SCAN));
            }
            int chunk = (int) Math.min(count - i, Math.min(CHUNK, Math.max(16, stopAfter - seen)));
            long[] kv = reads.readEntries(start + i * entrySize, chunk, entrySize, keyOff, valueOff);
            for (int j = 0; j < chunk; j++) {
                long key = kv[2 * j];
                long value = kv[2 * j + 1];
                if (key != 0 && value != 0) {
                    seen++;
                    if (!v.visit(key, value) || seen >= stopAfter) {
                        return;
                    }
                }
            }
            i += chunk;
        }
    }

    private Keys keys(long addr) throws MemoryReadException {
        checkObject(addr);
        long size;
        long entries;
        boolean unicode;
        int indices = reads.need(dkIndices, "PyDictKeysObject.dk_indices");
        int nentriesOff = reads.need(dkNentries, "PyDictKeysObject.dk_nentries");
        if (dkLog2Size == MISSING) {
            size = reads.readLong(addr + reads.need(dkSize, "PyDictKeysObject.dk_size"));
            if (size <= 0 || size > ABSURD_LENGTH || Long.bitCount(size) != 1) {
                throw new MemoryReadException(String.format("dict keys at 0x%x have implausible dk_size %d", addr, size));
            }
            int ixSize = size <= 0xff ? 1 : size <= 0xffff ? 2 : size <= 0xffffffffL ? 4 : 8;
            entries = addr + indices + size * ixSize;
            unicode = false;
        } else {
            int log2Size = reads.readByte(addr + dkLog2Size);
            int log2IndexBytes = reads.readByte(addr + reads.need(dkLog2IndexBytes, "PyDictKeysObject.dk_log2_index_bytes"));
            int kind = reads.readByte(addr + reads.need(dkKind, "PyDictKeysObject.dk_kind"));
            if (log2Size > 32 || log2IndexBytes < log2Size || log2IndexBytes > log2Size + 3) {
                throw new MemoryReadException(String.format("dict keys at 0x%x have implausible sizes 2^%d, 2^%d bytes",
                        addr, log2Size, log2IndexBytes));
            }
            if (kind > 2) {
                throw new MemoryReadException(String.format("dict keys at 0x%x have invalid kind %d", addr, kind));
            }
            size = 1L << log2Size;
            entries = addr + indices + (1L << log2IndexBytes);
            unicode = kind != 0;   // DICT_KEYS_UNICODE, DICT_KEYS_SPLIT: PyDictUnicodeEntry
        }
        long nentries = reads.readLong(addr + nentriesOff);
        if (nentries < 0 || nentries > size) {
            throw new MemoryReadException(String.format("dict keys at 0x%x have %d entries for size %d", addr, nentries, size));
        }
        return unicode
                ? new Keys(entries, reads.need(uniEntrySize, "sizeof.PyDictUnicodeEntry"),
                        reads.need(uniEntryKey, "PyDictUnicodeEntry.me_key"),
                        reads.need(uniEntryValue, "PyDictUnicodeEntry.me_value"), nentries, true)
                : new Keys(entries, reads.need(keyEntrySize, "sizeof.PyDictKeyEntry"),
                        reads.need(keyEntryKey, "PyDictKeyEntry.me_key"),
                        reads.need(keyEntryValue, "PyDictKeyEntry.me_value"), nentries, false);
    }

    /** A split table: keys in the (shared) keys object, values in a separate array. */
    private void forEachSplit(Keys k, long values, long maxItems, EntryVisitor v) throws MemoryReadException {
        checkPointer(values, 8);
        if (dkLog2Size == MISSING) {
            // 3.6-3.10: PyObject *values[] indexed like the entries, which are in insertion order
            long seen = 0;
            for (long i = 0; i < k.nentries(); ) {
                int chunk = (int) Math.min(k.nentries() - i, CHUNK);
                long[] kv = reads.readEntries(k.entries() + i * k.entrySize(), chunk, k.entrySize(), k.keyOff(), k.valueOff());
                long[] vals = reads.readPointers(values + i * 8, chunk);
                for (int j = 0; j < chunk; j++) {
                    long key = kv[2 * j];
                    if (key != 0 && vals[j] != 0) {
                        seen++;
                        if (!v.visit(key, vals[j]) || seen >= maxItems) {
                            return;
                        }
                    }
                }
                i += chunk;
            }
            return;
        }
        if (!k.unicode()) {
            throw new MemoryReadException("split dict values with non-unicode keys");
        }
        int[] order = insertionOrder(values, k.nentries());
        if (order.length == 0) {
            return;
        }
        int maxIndex = 0;
        for (int ix : order) {
            maxIndex = Math.max(maxIndex, ix);
        }
        long[] kv = reads.readEntries(k.entries(), maxIndex + 1, k.entrySize(), k.keyOff(), k.valueOff());
        long[] vals = reads.readPointers(values + valuesValues, maxIndex + 1);
        long seen = 0;
        for (int ix : order) {
            long key = kv[2 * ix];
            if (key != 0 && vals[ix] != 0) {
                seen++;
                if (!v.visit(key, vals[ix]) || seen >= maxItems) {
                    return;
                }
            }
        }
    }

    /**
     * 3.11+: the entry indices of a PyDictValues in insertion order. 3.11/3.12 keep them in bytes before
     * the values ([-1] prefix size, [-2] count, [-3-i] the i-th index); 3.13+ after values[capacity].
     */
    private int[] insertionOrder(long values, long nentries) throws MemoryReadException {
        int count;
        long orderAddr;
        boolean descending;
        if (valuesCapacity != MISSING) {
            int capacity = reads.readByte(values + valuesCapacity);
            count = reads.readByte(values + reads.need(valuesSize, "PyDictValues.size"));
            if (count > capacity) {
                throw new MemoryReadException(String.format("dict values at 0x%x: size %d over capacity %d", values, count, capacity));
            }
            orderAddr = values + valuesValues + 8L * capacity;
            descending = false;
        } else {
            ByteBuffer b = reads.read(values - 2, 2);
            count = b.get(0) & 0xff;
            int prefix = b.get(1) & 0xff;
            if (count + 2 > prefix) {
                throw new MemoryReadException(String.format("dict values at 0x%x: %d indices in a %d-byte prefix", values, count, prefix));
            }
            orderAddr = values - 2 - count;
            descending = true;
        }
        if (count == 0) {
            return new int[0];
        }
        byte[] raw = reads.readRaw(orderAddr, count);
        int[] order = new int[count];
        for (int i = 0; i < count; i++) {
            int ix = (descending ? raw[count - 1 - i] : raw[i]) & 0xff;
            if (ix >= nentries) {
                throw new MemoryReadException(String.format("dict values at 0x%x: index %d beyond %d entries", values, ix, nentries));
            }
            order[i] = ix;
        }
        return order;
    }

    /**
     * The value of attribute {@code name} in an instance's {@code __dict__} (class attributes and
     * slots are not looked at), or 0 when absent.
     */
    long attribute(long instance, String name) throws MemoryReadException {
        checkObject(instance);
        long type = types.typeOf(instance);
        PyTypes.Info t = types.info(type);
        long dict;
        if (python2 && t.builtin("instance")) {
            // old-style class instance
            dict = reads.readLong(instance + reads.need(instanceDict, "PyInstanceObject.in_dict"));
        } else if (managedDictOffset != MISSING && t.has(managedDictFlag)) {
            if (inlineValuesFlag != 0) {
                // 3.13+: values inline after the object (at tp_basicsize), valid while not materialized
                if (t.has(inlineValuesFlag)) {
                    if (t.basicsize() < 0) {
                        throw new MemoryReadException(reads.layout() + " does not describe PyTypeObject.tp_basicsize");
                    }
                    long values = instance + t.basicsize();
                    if (reads.readByte(values + reads.need(valuesValid, "PyDictValues.valid")) != 0) {
                        return lookupValues(type, values, name);
                    }
                }
                dict = reads.readLong(instance + managedDictOffset);
            } else if (managedValuesOffset == MISSING) {
                // 3.12: one tagged word, values - 1 when its low bit is set, else the dict
                long dictOrValues = reads.readLong(instance + managedDictOffset);
                if ((dictOrValues & 1) != 0) {
                    return lookupValues(type, dictOrValues + 1, name);
                }
                dict = dictOrValues;
            } else {
                // 3.11: separate values and dict words before the object
                long values = reads.readLong(instance + managedValuesOffset);
                if (values != 0) {
                    return lookupValues(type, values, name);
                }
                dict = reads.readLong(instance + managedDictOffset);
            }
        } else if (t.dictoffset() != 0) {
            long offset = t.dictoffset();
            if (offset < 0) {
                // var-sized object: the dict pointer follows the items
                if (t.itemsize() < 0 || t.basicsize() < 0) {
                    throw new MemoryReadException(reads.layout() + " does not describe PyTypeObject.tp_itemsize");
                }
                long n = reads.readLong(instance + reads.need(obSize, "PyVarObject.ob_size"));
                if (n == Long.MIN_VALUE || Math.abs(n) > ABSURD_LENGTH) {
                    throw new MemoryReadException(String.format("object at 0x%x has implausible ob_size %d", instance, n));
                }
                long size = (t.basicsize() + Math.abs(n) * t.itemsize() + 7) & ~7L;
                offset += size;
            }
            dict = reads.readLong(instance + offset);
        } else {
            return 0;
        }
        return dict == 0 ? 0 : lookup(dict, name);
    }

    /** Looks {@code name} up in instance values laid out by the type's shared keys ({@code ht_cached_keys}). */
    private long lookupValues(long type, long values, String name) throws MemoryReadException {
        long keysAddr = reads.readLong(type + reads.need(htCachedKeys, "PyHeapTypeObject.ht_cached_keys"));
        if (keysAddr == 0) {
            throw new MemoryReadException(String.format("type at 0x%x has instance values but no shared keys", type));
        }
        Keys keys = keys(keysAddr);
        PyText.Key k = PyText.Key.of(name);
        long[] found = {0};
        forEachSplit(keys, values, Long.MAX_VALUE, (entryKey, value) -> {
            if (text.textEquals(entryKey, k)) {
                found[0] = value;
                return false;
            }
            return true;
        });
        return found[0];
    }
}

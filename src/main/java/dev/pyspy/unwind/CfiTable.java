package dev.pyspy.unwind;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The call frame information of one ELF file: every FDE of {@code .eh_frame} (or {@code .debug_frame})
 * with the code range it covers, sorted for lookup by address. Parsed once per file (the section is
 * scanned, so a file whose {@code .eh_frame_hdr} is missing or partial is still covered); the rules
 * for one address are worked out on demand by {@link CfiRow#compute}.
 *
 * <p>Addresses are link-time ones: the caller subtracts the file's load bias.
 */
public final class CfiTable {

    /** A Common Information Entry: what its FDEs share. */
    record Cie(long codeAlign, long dataAlign, int returnRegister, int fdeEncoding, boolean hasAugmentationData,
            boolean signalFrame, int instructionsStart, int instructionsEnd, int addressSize) {
    }

    private final ByteBuffer data;
    private final long sectionAddress;
    private final long[] starts;
    private final long[] ends;
    private final int[] instructionsStart;
    private final int[] instructionsEnd;
    private final Cie[] cies;

    private CfiTable(ByteBuffer data, long sectionAddress, long[] starts, long[] ends, int[] insStart, int[] insEnd,
            Cie[] cies) {
        this.data = data;
        this.sectionAddress = sectionAddress;
        this.starts = starts;
        this.ends = ends;
        this.instructionsStart = insStart;
        this.instructionsEnd = insEnd;
        this.cies = cies;
    }

    /**
     * Parses a section. {@code debugFrame} selects {@code .debug_frame}'s conventions (CIE id
     * 0xffffffff, CIE pointers from the section start, absolute addresses) over {@code .eh_frame}'s.
     * An entry that does not parse ends the scan: what came before it is kept.
     */
    public static CfiTable parse(ByteBuffer data, long sectionAddress, boolean debugFrame) {
        DwarfCursor c = new DwarfCursor(data, sectionAddress);
        Map<Integer, Cie> cieByOffset = new HashMap<>();
        List<long[]> fdes = new ArrayList<>();
        List<Cie> fdeCies = new ArrayList<>();
        int size = data.capacity();
        int at = 0;
        try {
            while (size - at >= 4) {
                c.seek(at, size);
                long length = c.u32();
                boolean dwarf64 = length == 0xffffffffL;
                if (dwarf64) {
                    length = c.u64();
                }
                if (length == 0) {
                    if (debugFrame) {
                        at = c.position();
                        continue;
                    }
                    break; // the .eh_frame terminator
                }
                int bodyStart = c.position();
                if (length > size - bodyStart) {
                    break;
                }
                int end = (int) (bodyStart + length);
                c.seek(bodyStart, end);
                long id = dwarf64 ? c.u64() : c.u32();
                boolean isCie = debugFrame ? id == (dwarf64 ? -1L : 0xffffffffL) : id == 0;
                if (!isCie) {
                    int cieAt = debugFrame ? (int) id : (int) (bodyStart - id);
                    Cie cie = cieByOffset.get(cieAt);
                    if (cie == null) {
                        cie = parseCie(new DwarfCursor(data, sectionAddress), cieAt, size, debugFrame);
                        cieByOffset.put(cieAt, cie);
                    }
                    int enc = debugFrame ? 0 : cie.fdeEncoding;
                    long start = c.encoded(enc, 0);
                    long range = c.encodedValueOnly(enc);
                    if (cie.hasAugmentationData) {
                        c.skip(c.uleb());
                    }
                    if (range > 0 && start != 0) {
                        fdes.add(new long[] {start, start + range, c.position(), end});
                        fdeCies.add(cie);
                    }
                }
                at = end;
            }
        } catch (CfiException e) {
            // keep what parsed
        }
        Integer[] order = new Integer[fdes.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, (a, b) -> Long.compareUnsigned(fdes.get(a)[0], fdes.get(b)[0]));
        int n = order.length;
        long[] starts = new long[n];
        long[] ends = new long[n];
        int[] insStart = new int[n];
        int[] insEnd = new int[n];
        Cie[] cies = new Cie[n];
        for (int i = 0; i < n; i++) {
            long[] f = fdes.get(order[i]);
            starts[i] = f[0];
            ends[i] = f[1];
            insStart[i] = (int) f[2];
            insEnd[i] = (int) f[3];
            cies[i] = fdeCies.get(order[i]);
        }
        return new CfiTable(data, sectionAddress, starts, ends, insStart, insEnd, cies);
    }

    private static Cie parseCie(DwarfCursor c, int at, int size, boolean debugFrame) {
        c.seek(at, size);
        long length = c.u32();
        boolean dwarf64 = length == 0xffffffffL;
        if (dwarf64) {
            length = c.u64();
        }
        int bodyStart = c.position();
        if (length == 0 || length > size - bodyStart) {
            throw new CfiException("CIE at " + at + " has a bad length");
        }
        int end = (int) (bodyStart + length);
        c.seek(bodyStart, end);
        long id = dwarf64 ? c.u64() : c.u32();
        if (debugFrame ? id != (dwarf64 ? -1L : 0xffffffffL) : id != 0) {
            throw new CfiException("FDE at " + at + " points to no CIE");
        }
        int version = c.u8();
        String augmentation = c.cString();
        if (augmentation.contains("eh")) {
            c.u64();
        }
        int addressSize = 8;
        if (debugFrame && version >= 4) {
            addressSize = c.u8();
            c.u8(); // segment selector size
        }
        long codeAlign = c.uleb();
        long dataAlign = c.sleb();
        int returnRegister = version == 1 ? c.u8() : (int) c.uleb();
        int fdeEncoding = 0;
        boolean signalFrame = false;
        boolean hasAugData = augmentation.startsWith("z");
        if (hasAugData) {
            long augLength = c.uleb();
            int augEnd = c.position() + (int) augLength;
            for (int i = 1; i < augmentation.length(); i++) {
                switch (augmentation.charAt(i)) {
                    case 'R' -> fdeEncoding = c.u8();
                    case 'L' -> c.u8();
                    case 'P' -> c.encoded(c.u8() & 0x7f, 0); // personality routine: read past, never used
                    case 'S' -> signalFrame = true;
                    default -> { }
                }
            }
            c.seek(augEnd, end);
        } else if (augmentation.indexOf('S') >= 0) {
            signalFrame = true;
        }
        return new Cie(codeAlign, dataAlign, returnRegister, fdeEncoding, hasAugData, signalFrame, c.position(), end,
                addressSize);
    }

    /** The index of the FDE covering link-time address {@code pc}, or -1. */
    public int find(long pc) {
        int lo = 0;
        int hi = starts.length - 1;
        int found = -1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (Long.compareUnsigned(starts[mid], pc) <= 0) {
                found = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        if (found >= 0 && Long.compareUnsigned(pc, ends[found]) < 0) {
            return found;
        }
        return -1;
    }

    public int size() {
        return starts.length;
    }

    public long start(int fde) {
        return starts[fde];
    }

    public long end(int fde) {
        return ends[fde];
    }

    Cie cie(int fde) {
        return cies[fde];
    }

    int instructionsStart(int fde) {
        return instructionsStart[fde];
    }

    int instructionsEnd(int fde) {
        return instructionsEnd[fde];
    }

    DwarfCursor cursor() {
        return new DwarfCursor(data, sectionAddress);
    }

    ByteBuffer data() {
        return data;
    }
}

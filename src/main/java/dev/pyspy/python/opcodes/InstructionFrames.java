package dev.pyspy.python.opcodes;

import dev.pyspy.ExitCode;
import dev.pyspy.PyspyException;
import dev.pyspy.process.MemoryReadException;
import dev.pyspy.process.ProcessMemory;
import dev.pyspy.python.CodeCache;
import dev.pyspy.python.CodeInfo;
import dev.pyspy.python.Layout;
import dev.pyspy.python.PyObjects;
import dev.pyspy.python.RawStacks;
import dev.pyspy.python.RawThreadStack;
import dev.pyspy.util.LongIntMap;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code --opcodes}: relabels each frame of a walk with the instruction it executes, {@code
 * function (file:line:col) LOAD_ATTR}. The opcode is the first byte of the frame's instruction: on
 * 3.11+ read live from the code object's {@code co_code_adaptive} (the interpreter rewrites it as it
 * specialises), all frames of all threads in one batched read while the target is paused; before,
 * from {@code co_code}, an immutable {@code bytes} object read once per code object. A labelled frame
 * is a {@link CodeInfo} interned per (code, instruction, opcode), so a steady program's samples
 * allocate nothing, and every output shows it as it shows any frame.
 *
 * <p>The walk's stacks are relabelled in place for the consumers of one sample and put back by
 * {@link #restore} before the next walk, which reuses them as it decoded them.
 */
public final class InstructionFrames {
    private static final int MAX_LABELS = 1 << 16;
    private static final int MAX_CODE_BYTES = 1 << 20;

    private final ProcessMemory memory;
    private final PyObjects objects;
    private final CodeCache codes;
    private final OpcodeTable table;
    /** Where a code object's {@code co_code} pointer is (up to 3.10), -1 from 3.11 on. */
    private final int coCode;
    /** Bytes per unit of {@code f_lasti} (1 up to 3.9, 2 in 3.10, which counts code units). */
    private final int lastiUnit;
    private final boolean columns;
    /** Where a code object's size in code units is (3.11-3.12: to find where its instructions start). */
    private final int codeSize;
    private final int codeAdaptive;
    /** Up to 3.10, {@code f_lasti} stays on an {@code EXTENDED_ARG} while the instruction it extends runs. */
    private final int extendedArg;
    /** Bytes of an {@code EXTENDED_ARG} (2.7: an opcode and a 2-byte argument; 3.6+: every instruction is 2). */
    private final int extendedArgWidth;

    private LongIntMap labelIds = new LongIntMap(1024);
    private final List<CodeInfo> labels = new ArrayList<>();
    /** Up to 3.10: each code object's {@code co_code}, by code id. */
    private LongIntMap bytecodeIds = new LongIntMap(256);
    private final List<byte[]> bytecodes = new ArrayList<>();
    /** 3.11-3.12: which code units of each code object start an instruction, by code id (null: unknown). */
    private LongIntMap startsIds = new LongIntMap(256);
    private final List<boolean[]> starts = new ArrayList<>();
    private final ByteBuffer pointer = ByteBuffer.allocate(8).order(java.nio.ByteOrder.LITTLE_ENDIAN);

    // the batched read of 3.11+ opcodes: one byte per frame
    private long[] addresses = new long[0];
    private ByteBuffer[] buffers = new ByteBuffer[0];
    private int[] lengths = new int[0];
    /** The instruction (code unit index) each read is for. */
    private int[] readIndexes = new int[0];
    /** What each thread's frames held before {@link #label}: put back by {@link #restore}. */
    private CodeInfo[][] originals = new CodeInfo[0][];
    private long[] versions = new long[0];
    private int labelled;

    private InstructionFrames(ProcessMemory memory, Layout layout, PyObjects objects, CodeCache codes,
                              OpcodeTable table) throws PyspyException {
        this.memory = memory;
        this.objects = objects;
        this.codes = codes;
        this.table = table;
        CodeInfo.LineFormat format = layout.lineFormat();
        this.columns = format == CodeInfo.LineFormat.LOCATION_TABLE;
        this.coCode = layout.has("PyCodeObject.co_code") ? layout.offset("PyCodeObject.co_code") : -1;
        this.lastiUnit = format == CodeInfo.LineFormat.LINETABLE_310 ? 2 : 1;
        this.extendedArg = table.number("EXTENDED_ARG");
        this.extendedArgWidth = format == CodeInfo.LineFormat.LNOTAB_27 ? 3 : 2;
        boolean findStarts = table.callerAtLastCache() && layout.has("PyVarObject.ob_size")
                && layout.has("PyCodeObject.co_code_adaptive");
        this.codeSize = findStarts ? layout.offset("PyVarObject.ob_size") : -1;
        this.codeAdaptive = findStarts ? layout.offset("PyCodeObject.co_code_adaptive") : -1;
        if (coCode < 0 && !layout.has("PyCodeObject.co_code_adaptive")) {
            throw new PyspyException(ExitCode.UNSUPPORTED_VERSION,
                    "--opcodes: this Python's layout does not say where a code object keeps its bytecode");
        }
    }

    /**
     * The labeller for a process of CPython {@code majorMinor}; fails when pyspy has no opcode table for
     * that version.
     */
    public static InstructionFrames of(String majorMinor, ProcessMemory memory, Layout layout, PyObjects objects,
                                       CodeCache codes) throws PyspyException {
        return new InstructionFrames(memory, layout, objects, codes, requireTable(majorMinor));
    }

    /** The opcode table of CPython {@code majorMinor}; fails (exit 6) when pyspy has none. */
    public static OpcodeTable requireTable(String majorMinor) throws PyspyException {
        OpcodeTable table = OpcodeTable.forVersion(majorMinor);
        if (table == null) {
            throw new PyspyException(ExitCode.UNSUPPORTED_VERSION, "--opcodes: pyspy has no opcode table for Python "
                    + majorMinor + " (scripts/gen-layouts --opcodes-only writes one from a live interpreter)");
        }
        return table;
    }

    /**
     * Relabels every frame of the walk (the target still paused: the 3.11+ opcodes are read now);
     * {@link #restore} must follow before the next walk. A frame whose instruction cannot be read keeps
     * its plain label.
     */
    public void label(RawStacks walk) {
        int threads = walk.threadCount();
        if (originals.length < threads) {
            originals = java.util.Arrays.copyOf(originals, Math.max(threads, originals.length * 2));
            versions = java.util.Arrays.copyOf(versions, originals.length);
        }
        int reads = 0;
        for (int i = 0; i < threads; i++) {
            RawThreadStack t = walk.thread(i);
            for (int f = 0; f < t.depth; f++) {
                long address = t.instructionAddresses[f];
                if (address == 0) {
                    continue;
                }
                int index = t.instructions[f];
                if (codeSize >= 0 && f > 0 && !t.entries[f - 1]) {
                    // 3.11-3.12: a frame whose callee it pushed itself rests on its call's last cache unit
                    int start = instructionStart(t.codes[f], index);
                    address -= 2L * (index - start);
                    index = start;
                }
                reads = addRead(reads, address, index);
            }
        }
        boolean readOk = true;
        if (reads > 0) {
            try {
                memory.readAll(addresses, buffers, lengths, reads);
            } catch (MemoryReadException e) {
                readOk = false; // a code object freed under us: this sample's frames keep their plain labels
            }
        }
        int k = 0;
        labelled = 0;
        for (int i = 0; i < threads; i++) {
            RawThreadStack t = walk.thread(i);
            CodeInfo[] saved = originals[i];
            if (saved == null || saved.length < t.depth) {
                saved = originals[i] = new CodeInfo[Math.max(t.depth, saved == null ? 32 : saved.length * 2)];
            }
            System.arraycopy(t.codes, 0, saved, 0, t.depth);
            versions[i] = t.stackVersion;
            labelled = i + 1;
            t.stackVersion = 0; // the same frames may be at other opcodes now: nothing derived from them stands
            for (int f = 0; f < t.depth; f++) {
                CodeInfo code = t.codes[f];
                int opcode = -1;
                int instruction = t.instructions[f];
                if (t.instructionAddresses[f] != 0) {
                    opcode = readOk ? buffers[k].get(0) & 0xff : -1;
                    instruction = readIndexes[k];
                    k++;
                } else if (coCode >= 0 && instruction >= 0 && code != null && code.filename() != null) {
                    opcode = bytecodeOpcode(code, instruction);
                }
                if (opcode >= 0) {
                    t.codes[f] = labelled(code, instruction, opcode);
                }
            }
        }
    }

    /** Puts back the frames {@link #label} relabelled, as the walk decoded them. */
    public void restore(RawStacks walk) {
        int threads = Math.min(labelled, walk.threadCount());
        for (int i = 0; i < threads; i++) {
            RawThreadStack t = walk.thread(i);
            System.arraycopy(originals[i], 0, t.codes, 0, t.depth);
            t.stackVersion = versions[i];
        }
        labelled = 0;
    }

    private int addRead(int k, long address, int index) {
        if (k == addresses.length) {
            int n = Math.max(64, k * 2);
            addresses = java.util.Arrays.copyOf(addresses, n);
            readIndexes = java.util.Arrays.copyOf(readIndexes, n);
            lengths = java.util.Arrays.copyOf(lengths, n);
            ByteBuffer block = ByteBuffer.allocateDirect(n);
            buffers = new ByteBuffer[n];
            for (int j = 0; j < n; j++) {
                buffers[j] = block.slice(j, 1);
                lengths[j] = 1;
            }
        }
        addresses[k] = address;
        readIndexes[k] = index;
        return k + 1;
    }

    /**
     * 3.11-3.12: the start of the instruction whose code units hold {@code index} (an instruction is
     * followed by its inline cache units), from the code's bytecode read once; {@code index} itself
     * when that is unknown.
     */
    private int instructionStart(CodeInfo code, int index) {
        int known = startsIds.get(code.id(), -1);
        if (known < 0) {
            if (starts.size() >= MAX_LABELS) {
                starts.clear();
                startsIds = new LongIntMap(256);
            }
            known = starts.size();
            starts.add(readStarts(code));
            startsIds.put(code.id(), known);
        }
        boolean[] isStart = starts.get(known);
        if (isStart == null || index >= isStart.length) {
            return index;
        }
        for (int i = index; i >= 0 && i > index - 64; i--) {
            if (isStart[i]) {
                return i;
            }
        }
        return index;
    }

    /**
     * Which code units of {@code code} start an instruction: its bytecode walked from the start, each
     * instruction followed by its family's cache units (specialising an instruction keeps them);
     * null when the bytecode cannot be read.
     */
    private boolean[] readStarts(CodeInfo code) {
        try {
            memory.read(code.address() + codeSize, pointer, 8);
            long units = pointer.getLong(0);
            if (units <= 0 || units > MAX_CODE_BYTES / 2) {
                return null;
            }
            ByteBuffer bytes = ByteBuffer.allocate((int) units * 2);
            memory.read(code.address() + codeAdaptive, bytes, (int) units * 2);
            boolean[] isStart = new boolean[(int) units];
            for (int i = 0; i < units; i += 1 + table.caches(bytes.get(2 * i))) {
                isStart[i] = true;
            }
            return isStart;
        } catch (MemoryReadException e) {
            return null;
        }
    }

    /** Up to 3.10: the opcode at {@code lasti} in the code's {@code co_code}; -1 when unknown. */
    private int bytecodeOpcode(CodeInfo code, int lasti) {
        int index = bytecodeIds.get(code.id(), -1);
        if (index < 0) {
            byte[] bytes;
            try {
                memory.read(code.address() + coCode, pointer, 8);
                bytes = objects.readBytes(pointer.getLong(0), MAX_CODE_BYTES);
            } catch (MemoryReadException e) {
                return -1;
            }
            if (bytecodes.size() >= MAX_LABELS) {
                bytecodes.clear();
                bytecodeIds = new LongIntMap(256);
            }
            index = bytecodes.size();
            bytecodes.add(bytes);
            bytecodeIds.put(code.id(), index);
        }
        byte[] bytes = bytecodes.get(index);
        long offset = (long) lasti * lastiUnit;
        if (offset >= bytes.length) {
            return -1;
        }
        int opcode = bytes[(int) offset] & 0xff;
        for (int i = 0; i < 3 && opcode == extendedArg && offset + extendedArgWidth < bytes.length; i++) {
            offset += extendedArgWidth; // the instruction it extends: what runs
            opcode = bytes[(int) offset] & 0xff;
        }
        return opcode;
    }

    /** {@code code} at {@code instruction} executing {@code opcode}: made once, then looked up. */
    private CodeInfo labelled(CodeInfo code, int instruction, int opcode) {
        long key = ((long) code.id() << 32) | ((instruction & 0xffffffL) << 8) | opcode;
        int index = labelIds.get(key, -1);
        if (index >= 0) {
            return labels.get(index);
        }
        if (labels.size() >= MAX_LABELS) {
            labels.clear();
            labelIds = new LongIntMap(1024);
        }
        int column = columns ? LocationColumns.startColumn(code.lineTable(), instruction) + 1 : 0;
        CodeInfo made = code.atInstruction(codes.newId(), Math.max(column, 0), table.label(opcode));
        labelIds.put(key, labels.size());
        labels.add(made);
        return made;
    }
}

package dev.pyspy.python;

import dev.pyspy.PyspyException;
import dev.pyspy.process.ProcessMemory;
import dev.pyspy.process.MemoryReadException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Frames as {@code _PyInterpreterFrame}s (3.11+), mostly in the thread's data stack: skips shim
 * frames by owner, clears the tag bits of {@code f_executable} (3.14+), and finds the line from
 * {@code instr_ptr} relative to the bytecode it points into (the thread's own copy in free-threaded 3.14+).
 */
final class InterpreterFrameDecoder implements FrameDecoder {
    private final ProcessMemory memory;
    private final CodeCache codes;
    private final int previous;
    private final int executable;
    private final int instr;
    private final int owner;
    private final int isEntry;
    private final int ownedByCStack;
    private final int ownedByInterpreter;
    private final int codeAdaptive;
    private final long executableMask;
    private final int tlbcIndex;
    private final int codeTlbc;
    private final int tlbcEntries;
    private final int frameSize;
    private final int[] decodedFieldOffsets;
    private final int[] decodedFieldWidths;
    private final ByteBuffer wordBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);

    InterpreterFrameDecoder(Layout layout, ProcessMemory memory, CodeCache codes) throws PyspyException {
        this.memory = memory;
        this.codes = codes;
        previous = layout.offset("_PyInterpreterFrame.previous");
        executable = layout.offset("_PyInterpreterFrame.executable");
        instr = layout.offset("_PyInterpreterFrame.instr");
        // Shim frames holding no Python code: owned by the C stack (3.12-3.14) or the
        // interpreter's entry frame (3.14+). 3.14 renumbered the owners: the values come from
        // the table. 3.11 frames have an owner too, but no shim frames to skip.
        ownedByCStack = (int) layout.value("const.FRAME_OWNED_BY_CSTACK", -1);
        ownedByInterpreter = (int) layout.value("const.FRAME_OWNED_BY_INTERPRETER", -1);
        owner = ownedByCStack >= 0 || ownedByInterpreter >= 0 ? layout.offset("_PyInterpreterFrame.owner") : -1;
        isEntry = layout.offsetOr("_PyInterpreterFrame.is_entry", -1);
        codeAdaptive = layout.offset("PyCodeObject.co_code_adaptive");
        // 3.14+: f_executable is a tagged _PyStackRef; clearing the tag bits gives the object
        executableMask = ~layout.value("const.Py_TAG_BITS", 0);
        // free-threaded 3.14+: instr_ptr points into the thread's own copy of the bytecode
        boolean tlbc = layout.has("_PyInterpreterFrame.tlbc_index") && layout.has("PyCodeObject.co_tlbc");
        tlbcIndex = tlbc ? layout.offset("_PyInterpreterFrame.tlbc_index") : -1;
        codeTlbc = tlbc ? layout.offset("PyCodeObject.co_tlbc") : -1;
        tlbcEntries = tlbc ? layout.offset("_PyCodeArray.entries") : -1;
        frameSize = Math.max(Math.max(Math.max(previous, executable), Math.max(instr, Math.max(owner, isEntry))),
                tlbcIndex) + 8;
        int[][] fields = {{previous, 8}, {executable, 8}, {instr, 8}, {owner, 1}, {isEntry, 1}, {tlbcIndex, 4}};
        decodedFieldOffsets = Arrays.stream(fields).filter(f -> f[0] >= 0).mapToInt(f -> f[0]).toArray();
        decodedFieldWidths = Arrays.stream(fields).filter(f -> f[0] >= 0).mapToInt(f -> f[1]).toArray();
    }

    @Override
    public int frameSize() {
        return frameSize;
    }

    @Override
    public int[] decodedFieldOffsets() {
        return decodedFieldOffsets;
    }

    @Override
    public int[] decodedFieldWidths() {
        return decodedFieldWidths;
    }

    @Override
    public long decode(RawThreadStack t, ByteBuffer b, int base, long frame, ThreadSlot slot) throws MemoryReadException {
        long older = b.getLong(base + previous);
        byte frameOwner = owner >= 0 ? b.get(base + owner) : -1;
        if (owner >= 0 && (frameOwner == ownedByCStack || frameOwner == ownedByInterpreter)) {
            // A shim frame (C stack / interpreter entry): not Python code, but the frame above it was entered from C.
            t.markLastAsEntry(frame);
            return older;
        }
        long object = b.getLong(base + executable) & executableMask;
        CodeInfo code = object == 0 ? null : codes.get(object);
        if (code != null) {
            long instruction = b.getLong(base + instr);
            long index = (instruction - bytecodeStart(object, b, base, slot)) / 2;
            boolean known = index >= 0 && index <= Integer.MAX_VALUE;
            int line = known ? code.lineAt((int) index) : code.firstLine();
            t.push(code, line, frame, isEntry >= 0 && b.get(base + isEntry) != 0,
                    known ? (int) index : -1, known ? instruction : 0);
        }
        return older;
    }

    @Override
    public void endChain(RawThreadStack t) {
        if (isEntry < 0) {
            t.markLastAsEntry(); // the outermost frame was entered from C
        }
    }

    /**
     * Where the bytecode {@code instr_ptr} points into starts: the code object's own
     * {@code co_code_adaptive}, or in free-threaded 3.14+ the thread's copy
     * {@code co_tlbc->entries[frame->tlbc_index]} (index 0 is co_code_adaptive itself).
     */
    private long bytecodeStart(long code, ByteBuffer b, int base, ThreadSlot slot) throws MemoryReadException {
        if (tlbcIndex >= 0) {
            int index = b.getInt(base + tlbcIndex);
            if (index > 0 && index < 1 << 16) {
                slot.readElsewhere = true;
                long array = readPointer(code + codeTlbc);
                long copy = array == 0 ? 0 : readPointer(array + tlbcEntries + 8L * index);
                if (copy != 0) {
                    return copy;
                }
            }
        }
        return code + codeAdaptive;
    }

    private long readPointer(long address) throws MemoryReadException {
        memory.read(address, wordBuf, 8);
        return wordBuf.getLong(0);
    }
}

package dev.pyspy.python;

import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * When the walker may reuse a thread's last decode instead of decoding its chain again: when
 * everything that decode was computed from is unchanged: the same thread state and first frame,
 * data-stack chunks at the same addresses and lengths with the same values in every frame field it
 * read there, the same bytes at every frame it read outside them (probed in this walk's batch), and
 * every code object it named still what its address holds. The chain is then the same chain through
 * the same fields, so decoding again would give the same frames; it must not have been cut short,
 * nor read anything else (thread-local bytecode).
 */
final class StackReuse {
    /** Stack versions: unique per fresh decode, across walkers (consumers key caches by them). */
    private static final AtomicLong versions = new AtomicLong();

    private final CodeCache codes;
    private final FrameDecoder frames;
    private final boolean dataStacks;
    private final IdentityHashMap<CodeInfo, CodeInfo> distinctCodes = new IdentityHashMap<>();

    StackReuse(CodeCache codes, FrameDecoder frames, boolean dataStacks) {
        this.codes = codes;
        this.frames = frames;
        this.dataStacks = dataStacks;
    }

    /**
     * Whether the slot's last decode can stand for thread {@code t} this walk, whose chain starts at
     * {@code slot.cursor}, with {@code frameBudget} frames and {@code outsideBudget} outside frames
     * left in the walk's budgets.
     */
    boolean reusable(RawThreadStack t, ThreadSlot slot, int frameBudget, int outsideBudget) {
        return slot.lastSample == t
                && slot.lastThreadState == t.threadState
                && slot.lastStart == slot.cursor
                && slot.lastSteps <= frameBudget
                && slot.outside.probeCount() <= outsideBudget
                && (!dataStacks || slot.chunks.sameFramesAsPrevious(frames.decodedFieldOffsets(),
                        frames.decodedFieldWidths()))
                && slot.outside.unchanged()
                && codesStillValid(slot);
    }

    /**
     * Before a fresh decode: forgets the old one first, so a failed walk cannot leave a half-written
     * one to reuse.
     */
    void beginFreshDecode(ThreadSlot slot) {
        slot.lastSample = null;
        slot.lastStart = slot.cursor;
        slot.readElsewhere = false;
        slot.outside.startWalk();
        if (dataStacks) {
            slot.chunks.beginDecode();
        }
    }

    /** After a fresh decode: remembers what it was computed from, for the next walk. */
    void rememberDecode(RawThreadStack t, ThreadSlot slot) {
        slot.outside.endWalk();
        if (t.truncated || slot.readElsewhere) {
            slot.outside.forget();
            return;
        }
        t.stackVersion = versions.incrementAndGet();
        slot.lastSample = t;
        slot.lastThreadState = t.threadState;
        slot.lastDepth = t.depth;
        slot.lastSteps = slot.steps;
        slot.lastVersion = t.stackVersion;
        rememberCodes(t, slot);
    }

    /** Whether every code object the slot's last decode named still is what its address holds. */
    private boolean codesStillValid(ThreadSlot slot) {
        for (int i = 0; i < slot.lastCodeCount; i++) {
            if (!codes.stillValid(slot.lastCodes[i])) {
                return false;
            }
        }
        return true;
    }

    /** Keeps the code objects of the decode in {@code t} (each once, cut markers aside) in the slot. */
    private void rememberCodes(RawThreadStack t, ThreadSlot slot) {
        distinctCodes.clear();
        int count = 0;
        for (int i = 0; i < t.depth; i++) {
            CodeInfo code = t.codes[i];
            if (code.filename() == null || (i > 0 && code == t.codes[i - 1]) || distinctCodes.put(code, code) != null) {
                continue;
            }
            if (count == slot.lastCodes.length) {
                slot.lastCodes = Arrays.copyOf(slot.lastCodes, Math.max(8, count * 2));
            }
            slot.lastCodes[count++] = code;
        }
        if (count < slot.lastCodeCount) {
            Arrays.fill(slot.lastCodes, count, slot.lastCodeCount, null);
        }
        slot.lastCodeCount = count;
    }
}

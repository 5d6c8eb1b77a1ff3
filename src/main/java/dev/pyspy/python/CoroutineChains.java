package dev.pyspy.python;

import dev.pyspy.PyspyException;
import dev.pyspy.process.MemoryReadException;
import dev.pyspy.process.ProcessMemory;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * The chains of many suspended coroutines read together ({@code --async-mode all}): what
 * {@link CoroutineChain#pushChain} does for one, level by level for all, so each level costs the same
 * few batched reads however many tasks there are: the coroutine objects (with their frame, embedded
 * from 3.11), the frame objects (up to 3.10), then the value-stack slots holding what each awaits.
 */
final class CoroutineChains {
    private final AsyncioOffsets o;
    private final TaskTypes types;
    private final FrameDecoder decoder;
    private final ThreadSlot slot = new ThreadSlot(8);
    private final RawThreadStack decoded = new RawThreadStack();
    private final BatchReads coros;
    private final BatchReads frames;
    private final BatchReads slots;
    private final int obType;
    private final int coroSize;
    private final int frameObjectSize;
    /** Per chain still followed: the coroutine at this level, its chain's index, its frame. */
    private long[] current = new long[16];
    private int[] owner = new int[16];
    private long[] frame = new long[16];
    private long[] slotAddress = new long[16];
    /** Per chain: its frames outermost first, as the awaits are followed inwards. */
    private RawThreadStack[] outerFirst = new RawThreadStack[0];

    CoroutineChains(AsyncioOffsets o, ProcessMemory memory, Layout layout, CodeCache codes, TaskTypes types)
            throws PyspyException {
        this.o = o;
        this.types = types;
        this.decoder = FrameDecoder.forLayout(layout, memory, codes);
        this.coros = new BatchReads(memory);
        this.frames = new BatchReads(memory);
        this.slots = new BatchReads(memory);
        this.obType = layout.offset("PyObject.ob_type");
        int end = obType + 8;
        int frameEnd = decoder.frameSize();
        if (o.genFrame != AsyncioOffsets.ABSENT) {
            end = Math.max(end, o.genFrame + 8);
            frameEnd = Math.max(frameEnd, o.frameLasti + 4);
            frameEnd = Math.max(frameEnd, Math.max(fieldEnd(o.frameStacktopPointer, 8), fieldEnd(o.frameValuestack, 8)));
            frameEnd = Math.max(frameEnd, fieldEnd(o.frameStackdepth, 4));
        } else {
            frameEnd = Math.max(frameEnd, Math.max(fieldEnd(o.interpreterFrameStackpointer, 8),
                    fieldEnd(o.interpreterFrameStacktop, 4)));
            end = Math.max(end, Math.max(o.genFrameState + 1, o.genInterpreterFrame + frameEnd));
        }
        this.coroSize = end;
        this.frameObjectSize = frameEnd;
    }

    private static int fieldEnd(int offset, int width) {
        return offset == AsyncioOffsets.ABSENT ? 0 : offset + width;
    }

    /**
     * Pushes onto {@code out[i]} the chain of suspended coroutine {@code coro[i]}, innermost first, for
     * each of the first {@code n}; a chain is empty for a coroutine not started or finished. A chain
     * that could not be read to its end (a coroutine or frame freed or mid-update) is left empty and
     * marked {@link RawThreadStack#truncated}; the others are read all the same.
     */
    void pushChains(long[] coro, RawThreadStack[] out, int n) {
        ensure(n);
        int active = 0;
        for (int i = 0; i < n; i++) {
            outerFirst[i].clear();
            if (coro[i] != 0) {
                current[active] = coro[i];
                owner[active++] = i;
            }
        }
        for (int depth = 0; depth < CoroutineChain.MAX_DEPTH && active > 0; depth++) {
            active = level(active);
        }
        for (int i = 0; i < n; i++) {
            RawThreadStack f = outerFirst[i];
            if (f.truncated) {
                out[i].truncated = true;
                continue;
            }
            for (int k = f.depth - 1; k >= 0; k--) {
                out[i].push(f.codes[k], f.lines[k], f.frameAddresses[k], false);
            }
        }
    }

    /** One level of every chain still followed; returns how many go on to the next. */
    private int level(int active) {
        coros.clear();
        for (int a = 0; a < active; a++) {
            coros.add(current[a], coroSize);
        }
        coros.readEach();
        boolean frameObjects = o.genFrame != AsyncioOffsets.ABSENT;
        frames.clear();
        int kept = 0;
        for (int a = 0; a < active; a++) {
            ByteBuffer b = coros.get(a);
            try {
                if (!coros.ok(a) || !types.isCoroutineType(b.getLong(obType))) {
                    continue; // awaiting a future (or anything else that is no coroutine): the chain ends
                }
            } catch (MemoryReadException e) {
                continue; // a type that cannot be read: no coroutine
            }
            if (frameObjects) {
                long f = b.getLong(o.genFrame);
                if (f == 0) {
                    continue;
                }
                frames.add(f, frameObjectSize);
                frame[kept] = f;
            } else {
                long state = b.get(o.genFrameState);
                if (AsyncioOffsets.contains(o.goneStates, state)) {
                    continue;
                }
                frame[kept] = current[a] + o.genInterpreterFrame;
                if (!push(b, o.genInterpreterFrame, frame[kept], owner[a])) {
                    continue;
                }
                if (!AsyncioOffsets.contains(o.suspendedStates, state)) {
                    continue; // not started (or running): it awaits nothing
                }
                slotAddress[kept] = awaitedSlot(b, o.genInterpreterFrame, frame[kept]);
            }
            current[kept] = current[a];
            owner[kept++] = owner[a];
        }
        if (frameObjects) {
            frames.readEach();
            int k2 = 0;
            for (int a = 0; a < kept; a++) {
                ByteBuffer b = frames.get(a);
                if (!frames.ok(a)) {
                    outerFirst[owner[a]].truncated = true;
                    continue;
                }
                if (!push(b, 0, frame[a], owner[a])) {
                    continue;
                }
                long slot = b.getInt(o.frameLasti) < 0 ? 0 : frameObjectSlot(b); // f_lasti < 0: not started
                if (slot != 0) {
                    slotAddress[k2] = slot;
                    owner[k2++] = owner[a];
                }
            }
            kept = k2;
        }
        slots.clear();
        int next = 0;
        for (int a = 0; a < kept; a++) {
            if (slotAddress[a] != 0) {
                slots.add(slotAddress[a], 8);
                owner[next++] = owner[a];
            }
        }
        slots.readEach();
        int going = 0;
        for (int a = 0; a < next; a++) {
            if (!slots.ok(a)) {
                outerFirst[owner[a]].truncated = true;
                continue;
            }
            long awaited = slots.get(a).getLong(0) & o.tagMask;
            if (awaited != 0 && (awaited & 7) == 0) {
                current[going] = awaited;
                owner[going++] = owner[a];
            }
        }
        return going;
    }

    /** Up to 3.10: where a suspended frame object keeps what it awaits; 0 while it runs. */
    private long frameObjectSlot(ByteBuffer b) {
        if (o.frameStacktopPointer != AsyncioOffsets.ABSENT) {
            long top = b.getLong(o.frameStacktopPointer);
            return top == 0 ? 0 : top - o.awaitedBelowTop;
        }
        int depth = b.getInt(o.frameStackdepth);
        return 8L * depth < o.awaitedBelowTop ? 0 : b.getLong(o.frameValuestack) + 8L * depth - o.awaitedBelowTop;
    }

    /** 3.11+: where the suspended frame at {@code base} in {@code b} keeps what it awaits. */
    private long awaitedSlot(ByteBuffer b, int base, long frameAddress) {
        if (o.interpreterFrameStackpointer != AsyncioOffsets.ABSENT) {
            long sp = b.getLong(base + o.interpreterFrameStackpointer);
            return sp == 0 ? 0 : sp - o.awaitedBelowTop;
        }
        int top = b.getInt(base + o.interpreterFrameStacktop);
        return 8L * top < o.awaitedBelowTop ? 0 : frameAddress + o.localsplus + 8L * top - o.awaitedBelowTop;
    }

    /** Decodes a frame onto chain {@code chain}; false (the chain marked cut) when it names no code object. */
    private boolean push(ByteBuffer b, int base, long frameAddress, int chain) {
        decoded.clear();
        try {
            decoder.decode(decoded, b, base, frameAddress, slot);
        } catch (MemoryReadException e) {
            outerFirst[chain].truncated = true;
            return false;
        }
        if (decoded.depth == 1) {
            outerFirst[chain].push(decoded.codes[0], decoded.lines[0], frameAddress, false);
        }
        return true;
    }

    private void ensure(int n) {
        if (current.length < n) {
            int size = Math.max(n, current.length * 2);
            current = Arrays.copyOf(current, size);
            owner = Arrays.copyOf(owner, size);
            frame = Arrays.copyOf(frame, size);
            slotAddress = Arrays.copyOf(slotAddress, size);
        }
        if (outerFirst.length < n) {
            int old = outerFirst.length;
            outerFirst = Arrays.copyOf(outerFirst, Math.max(n, old * 2));
            for (int i = old; i < outerFirst.length; i++) {
                outerFirst[i] = new RawThreadStack();
            }
        }
    }
}

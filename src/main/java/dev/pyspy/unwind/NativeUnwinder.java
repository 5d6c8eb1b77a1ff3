package dev.pyspy.unwind;

import dev.pyspy.PyspyException;
import dev.pyspy.process.ProcessMemory;

/**
 * Unwinds a stopped thread's native stack from its registers: for each frame, the CFI row at its
 * address ({@code .eh_frame}, else {@code .debug_frame}) says where the caller's registers and return
 * address are saved; code with no CFI is stepped over by its frame pointer when that points into the
 * stack. The stack is read in bulk ({@link StackMemory}). Reused, one per process; not thread-safe.
 *
 * <p>Output addresses are "lookup" addresses: the innermost frame's instruction pointer, and for the
 * callers their return address minus one (the call instruction, so a call that ends a function is
 * not named after the next one), except above a signal frame, whose saved pointer is exact.
 */
public final class NativeUnwinder {

    /** Deepest native stack followed. */
    public static final int MAX_FRAMES = 512;

    private final ModuleMap modules;
    private final StackMemory stack;
    private final CfiRow computed = new CfiRow();
    private final CfiRowCache rows = new CfiRowCache();
    private final DwarfExpression expression = new DwarfExpression();
    private final Registers cur = new Registers();
    private final Registers next = new Registers();

    public NativeUnwinder(ModuleMap modules, ProcessMemory memory) {
        this.modules = modules;
        this.stack = new StackMemory(memory);
    }

    /**
     * Writes the frames' lookup addresses, innermost first, into {@code out} (at most its length)
     * and returns how many. Stops at the outermost frame (return address undefined or 0), at a frame
     * it cannot step over, or when the stack pointer does not move up.
     */
    public int unwind(Registers regs, long[] out) {
        return unwind(regs, out, null);
    }

    /**
     * As {@link #unwind(Registers, long[])}, and writes into {@code tops} (as long as {@code out}, or
     * null) where each frame's part of the stack ends: its caller's stack pointer (the CFA), so frame
     * i's locals lie in {@code [tops[i-1], tops[i])}; the outermost frame's ends with the stack mapping.
     */
    public int unwind(Registers regs, long[] out, long[] tops) {
        cur.copyFrom(regs);
        long stackEnd = modules.mappingEnd(cur.sp());
        stack.reset(cur.sp(), stackEnd);
        boolean returnAddress = false;
        int n = 0;
        while (n < out.length) {
            long pc = cur.ip();
            if (pc == 0) {
                break;
            }
            long lookup = returnAddress ? pc - 1 : pc;
            if (tops != null) {
                tops[n] = stackEnd == 0 ? -1L : stackEnd; // until the step says otherwise
            }
            out[n++] = lookup;
            try {
                int step = step(lookup);
                if (step == STOP) {
                    break;
                }
                returnAddress = step == STEPPED;
            } catch (CfiException e) {
                break;
            }
            if (Long.compareUnsigned(next.sp(), cur.sp()) <= 0 && returnAddress) {
                break; // no progress: a loop or garbage
            }
            if (tops != null) {
                tops[n - 1] = next.sp();
            }
            cur.copyFrom(next);
        }
        return n;
    }

    private static final int STOP = 0;
    private static final int STEPPED = 1;
    private static final int STEPPED_SIGNAL = 2;

    private int step(long pc) {
        ModuleMap.Module m = modules.find(pc);
        if (m == null) {
            try {
                if (modules.refresh()) {
                    m = modules.find(pc);
                }
            } catch (PyspyException e) {
                m = null;
            }
        }
        CfiRow r = m == null ? null : rows.get(pc, m);
        if (r == null && m != null) {
            long rel = pc - m.bias();
            CfiTable t = m.file().ehFrame();
            int fde = t == null ? -1 : t.find(rel);
            if (fde < 0 && m.file().debugFrame() != null) {
                t = m.file().debugFrame();
                fde = t.find(rel);
            }
            if (fde >= 0) {
                computed.compute(t, fde, rel);
                r = rows.put(pc, m, computed);
            }
        }
        if (r != null) {
            return apply(r) ? (r.signalFrame ? STEPPED_SIGNAL : STEPPED) : STOP;
        }
        return framePointerStep() ? STEPPED : STOP;
    }

    private boolean apply(CfiRow row) {
        long cfa = row.cfaKind == CfiRow.CFA_REGISTER_OFFSET
                ? register(row.cfaRegister) + row.cfaOffset
                : expression.evaluate(row.table, row.cfaExprStart, row.cfaExprLength, cur, stack, 0, false);
        for (int r = 0; r < Registers.COUNT; r++) {
            long v = row.value[r];
            next.values[r] = switch (row.kind[r]) {
                case CfiRow.SAME, CfiRow.UNDEFINED -> r == Registers.RSP ? cfa : cur.values[r];
                case CfiRow.OFFSET -> stack.readLong(cfa + v);
                case CfiRow.VAL_OFFSET -> cfa + v;
                case CfiRow.REGISTER -> register((int) v);
                case CfiRow.EXPRESSION -> stack.readLong(
                        expression.evaluate(row.table, (int) v, row.exprLength[r], cur, stack, cfa, true));
                default -> expression.evaluate(row.table, (int) v, row.exprLength[r], cur, stack, cfa, true);
            };
        }
        int ra = row.returnRegister;
        if (ra < 0 || ra >= Registers.COUNT || row.kind[ra] == CfiRow.UNDEFINED) {
            return false; // the outermost frame (_start, clone's child)
        }
        next.values[Registers.RIP] = next.values[ra];
        return true;
    }

    private long register(int r) {
        if (r < 0 || r >= Registers.COUNT) {
            throw new CfiException("rule names register " + r);
        }
        return cur.values[r];
    }

    /** Code without CFI (JIT, hand-written assembly): follow rbp if it points up the stack. */
    private boolean framePointerStep() {
        long fp = cur.get(Registers.RBP);
        if (Long.compareUnsigned(fp, cur.sp()) < 0 || (fp & 7) != 0 || fp - cur.sp() > StackMemory.MAX_WINDOW) {
            return false;
        }
        next.copyFrom(cur);
        next.set(Registers.RBP, stack.readLong(fp));
        next.set(Registers.RIP, stack.readLong(fp + 8));
        next.set(Registers.RSP, fp + 16);
        return true;
    }

    /** Bulk stack reads so far (for the benchmark's reads-per-sample figure). */
    public long stackReads() {
        return stack.bulkReads();
    }

    public ModuleMap modules() {
        return modules;
    }
}

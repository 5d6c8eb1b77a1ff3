package dev.pyspy.unwind;

/**
 * Evaluates the DWARF expressions of unwind rules (PLT entries' CFA, signal frames' saved
 * registers): a stack machine over the frame's registers and the target's memory. Steps and stack
 * depth are bounded. Reused: one per unwinder.
 */
final class DwarfExpression {

    private static final int MAX_STACK = 64;
    private static final int MAX_STEPS = 1000;

    private final long[] stack = new long[MAX_STACK];
    private int sp;
    private CfiTable cursorTable;
    private DwarfCursor cursor;

    /**
     * The value of the expression at {@code [start, start + length)} of {@code table}'s section;
     * {@code initial} is pushed first unless {@code pushInitial} is false.
     */
    long evaluate(CfiTable table, int start, int length, Registers regs, StackMemory memory, long initial,
            boolean pushInitial) {
        if (table != cursorTable) {
            cursor = table.cursor();
            cursorTable = table;
        }
        DwarfCursor c = cursor;
        c.seek(start, start + length);
        sp = 0;
        if (pushInitial) {
            push(initial);
        }
        int steps = 0;
        while (c.hasMore()) {
            if (++steps > MAX_STEPS) {
                throw new CfiException("expression runs too long");
            }
            int op = c.u8();
            if (op >= 0x30 && op <= 0x4f) { // lit0..31
                push(op - 0x30);
                continue;
            }
            if (op >= 0x50 && op <= 0x6f) { // reg0..31
                push(register(regs, op - 0x50));
                continue;
            }
            if (op >= 0x70 && op <= 0x8f) { // breg0..31
                push(register(regs, op - 0x70) + c.sleb());
                continue;
            }
            switch (op) {
                case 0x06 -> push(memory.readLong(pop()));
                case 0x08 -> push(c.u8());
                case 0x09 -> push((byte) c.u8());
                case 0x0a -> push(c.u16());
                case 0x0b -> push((short) c.u16());
                case 0x0c -> push(c.u32());
                case 0x0d -> push((int) c.u32());
                case 0x0e, 0x0f -> push(c.u64());
                case 0x10 -> push(c.uleb());
                case 0x11 -> push(c.sleb());
                case 0x12 -> push(peek(0));
                case 0x13 -> pop();
                case 0x14 -> push(peek(1));
                case 0x15 -> push(peek(c.u8()));
                case 0x16 -> {
                    long a = pop();
                    long b = pop();
                    push(a);
                    push(b);
                }
                case 0x17 -> {
                    long a = pop();
                    long b = pop();
                    long d = pop();
                    push(a);
                    push(d);
                    push(b);
                }
                case 0x19 -> push(Math.abs(pop()));
                case 0x1a -> push(pop() & pop());
                case 0x1b -> {
                    long b = pop();
                    long a = pop();
                    if (b == 0) {
                        throw new CfiException("division by zero");
                    }
                    push(a / b);
                }
                case 0x1c -> {
                    long b = pop();
                    push(pop() - b);
                }
                case 0x1d -> {
                    long b = pop();
                    long a = pop();
                    if (b == 0) {
                        throw new CfiException("division by zero");
                    }
                    push(Long.remainderUnsigned(a, b));
                }
                case 0x1e -> push(pop() * pop());
                case 0x1f -> push(-pop());
                case 0x20 -> push(~pop());
                case 0x21 -> push(pop() | pop());
                case 0x22 -> push(pop() + pop());
                case 0x23 -> push(pop() + c.uleb());
                case 0x24 -> {
                    long b = pop();
                    push(pop() << b);
                }
                case 0x25 -> {
                    long b = pop();
                    push(pop() >>> b);
                }
                case 0x26 -> {
                    long b = pop();
                    push(pop() >> b);
                }
                case 0x27 -> push(pop() ^ pop());
                case 0x28 -> { // bra
                    int offset = (short) c.u16();
                    if (pop() != 0) {
                        c.seek(c.position() + offset, c.limit());
                    }
                }
                case 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e -> {
                    long b = pop();
                    long a = pop();
                    boolean r = switch (op) {
                        case 0x29 -> a == b;
                        case 0x2a -> a >= b;
                        case 0x2b -> a > b;
                        case 0x2c -> a <= b;
                        case 0x2d -> a < b;
                        default -> a != b;
                    };
                    push(r ? 1 : 0);
                }
                case 0x2f -> {
                    int offset = (short) c.u16();
                    c.seek(c.position() + offset, c.limit());
                }
                case 0x92 -> {
                    int r = (int) c.uleb();
                    push(register(regs, r) + c.sleb());
                }
                case 0x96 -> { } // nop
                default -> throw new CfiException("unsupported expression op 0x" + Integer.toHexString(op));
            }
        }
        return pop();
    }

    private static long register(Registers regs, int r) {
        if (r < 0 || r >= Registers.COUNT) {
            throw new CfiException("expression reads register " + r);
        }
        return regs.values[r];
    }

    private void push(long v) {
        if (sp == MAX_STACK) {
            throw new CfiException("expression stack overflow");
        }
        stack[sp++] = v;
    }

    private long pop() {
        if (sp == 0) {
            throw new CfiException("expression stack underflow");
        }
        return stack[--sp];
    }

    private long peek(int depth) {
        if (depth >= sp) {
            throw new CfiException("expression stack underflow");
        }
        return stack[sp - 1 - depth];
    }
}

package dev.pyspy.unwind;

/**
 * A thread's general-purpose registers on x86_64, indexed by their DWARF numbers (which is how
 * unwind tables name them); the return-address column, 16, holds the instruction pointer.
 */
public final class Registers {

    public static final int RAX = 0;
    public static final int RDX = 1;
    public static final int RCX = 2;
    public static final int RBX = 3;
    public static final int RSI = 4;
    public static final int RDI = 5;
    public static final int RBP = 6;
    public static final int RSP = 7;
    public static final int R8 = 8;
    public static final int R15 = 15;
    public static final int RIP = 16;
    public static final int COUNT = 17;

    final long[] values = new long[COUNT];

    public long get(int register) {
        return values[register];
    }

    public void set(int register, long value) {
        values[register] = value;
    }

    public long ip() {
        return values[RIP];
    }

    public long sp() {
        return values[RSP];
    }

    void copyFrom(Registers other) {
        System.arraycopy(other.values, 0, values, 0, COUNT);
    }
}

package dev.pyspy.unwind;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import dev.pyspy.process.LibC;

/**
 * Reads the registers of a thread that this (tracer) thread has already stopped with ptrace
 * ({@code PTRACE_GETREGS}); stopping and resuming it is the caller's business. Reuses one buffer.
 */
public final class ThreadRegisters {

    // struct user_regs_struct (x86_64 sys/user.h): word index of each register the unwinder needs
    private static final int R15 = 0;
    private static final int R14 = 1;
    private static final int R13 = 2;
    private static final int R12 = 3;
    private static final int RBP = 4;
    private static final int RBX = 5;
    private static final int R11 = 6;
    private static final int R10 = 7;
    private static final int R9 = 8;
    private static final int R8 = 9;
    private static final int RAX = 10;
    private static final int RCX = 11;
    private static final int RDX = 12;
    private static final int RSI = 13;
    private static final int RDI = 14;
    private static final int RIP = 16;
    private static final int RSP = 19;

    private final Memory buffer = new Memory(LibC.SIZEOF_USER_REGS_STRUCT);

    /** Fills {@code into}; false if the thread is gone or not stopped under this tracer. */
    public boolean read(int tid, Registers into) {
        try {
            LibC.ptrace(LibC.PTRACE_GETREGS, tid, null, buffer);
        } catch (LastErrorException e) {
            return false;
        }
        into.set(Registers.RAX, word(RAX));
        into.set(Registers.RDX, word(RDX));
        into.set(Registers.RCX, word(RCX));
        into.set(Registers.RBX, word(RBX));
        into.set(Registers.RSI, word(RSI));
        into.set(Registers.RDI, word(RDI));
        into.set(Registers.RBP, word(RBP));
        into.set(Registers.RSP, word(RSP));
        into.set(8, word(R8));
        into.set(9, word(R9));
        into.set(10, word(R10));
        into.set(11, word(R11));
        into.set(12, word(R12));
        into.set(13, word(R13));
        into.set(14, word(R14));
        into.set(15, word(R15));
        into.set(Registers.RIP, word(RIP));
        return true;
    }

    private long word(int index) {
        return buffer.getLong(index * 8L);
    }
}

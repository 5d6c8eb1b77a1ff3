package dev.pyspy.unwind;

import dev.pyspy.PyspyException;
import dev.pyspy.process.ProcessMemory;

/**
 * The native side of one process: the stack of each thread the caller has stopped (registers →
 * unwind → lookup addresses), and the names of those addresses. One per process; used from the
 * tracer thread only.
 */
public final class NativeStacks {

    private final ModuleMap modules;
    private final NativeUnwinder unwinder;
    private final NativeSymbolizer symbolizer;
    private final ThreadRegisters registers = new ThreadRegisters();
    private final Registers regs = new Registers();

    public NativeStacks(int pid, ProcessMemory memory) throws PyspyException {
        this.modules = new ModuleMap(pid);
        this.unwinder = new NativeUnwinder(modules, memory);
        this.symbolizer = new NativeSymbolizer(modules);
    }

    /**
     * Unwinds thread {@code tid}, which must be in a ptrace-stop of this thread's: writes its frames'
     * lookup addresses innermost first into {@code out}; returns their number, or -1 if its
     * registers could not be read (gone, or not stopped).
     */
    public int unwind(int tid, long[] out) {
        return unwind(tid, out, null);
    }

    /** As {@link #unwind(int, long[])}, with where each frame's part of the stack ends ({@link NativeUnwinder#unwind(Registers, long[], long[])}). */
    public int unwind(int tid, long[] out, long[] tops) {
        if (!registers.read(tid, regs)) {
            return -1;
        }
        return unwinder.unwind(regs, out, tops);
    }

    public NativeSymbol symbol(long address) {
        return symbolizer.symbol(address);
    }

    /** Where {@code address} is in the source, by its file's line table; null without one. */
    public SourceLine sourceLine(long address) {
        return symbolizer.sourceLine(address);
    }

    public ModuleMap modules() {
        return modules;
    }

    /** Bulk stack reads so far. */
    public long stackReads() {
        return unwinder.stackReads();
    }
}

package dev.pyspy.unwind;

/**
 * The unwind rules in force at one address: how to compute the CFA (canonical frame address: the
 * caller's stack pointer) and where each register of the caller is. Mutable and reused: one per
 * unwinder, filled by {@link #compute} for each address not seen before; a copy of the rules alone
 * ({@link #copyFrom}: no scratch) is what {@link CfiRowCache} keeps per address, so unwinding
 * allocates nothing once a program's addresses are known.
 *
 * <p>Registers are numbered as DWARF numbers them on x86_64 ({@link Registers}); rules for higher
 * numbers (vector registers) are read and ignored.
 */
final class CfiRow {

    static final byte SAME = 0;
    static final byte UNDEFINED = 1;
    /** Saved at CFA + value. */
    static final byte OFFSET = 2;
    /** Is CFA + value. */
    static final byte VAL_OFFSET = 3;
    /** Is in register value. */
    static final byte REGISTER = 4;
    /** Saved at the address the expression at value computes (CFA pushed first). */
    static final byte EXPRESSION = 5;
    /** Is what the expression computes (CFA pushed first). */
    static final byte VAL_EXPRESSION = 6;

    static final byte CFA_REGISTER_OFFSET = 0;
    static final byte CFA_EXPRESSION = 1;

    private static final int MAX_REMEMBERED = 16;
    private static final int N = Registers.COUNT;

    byte cfaKind;
    int cfaRegister;
    long cfaOffset;
    int cfaExprStart;
    int cfaExprLength;
    final byte[] kind = new byte[N];
    final long[] value = new long[N];
    final int[] exprLength = new int[N];
    int returnRegister;
    boolean signalFrame;
    CfiTable table;

    // remember_state stack and the CIE's initial rules (for DW_CFA_restore): made by the first
    // compute, so a cached copy does not carry them
    private byte[][] savedKind;
    private long[][] savedValue;
    private int[][] savedExprLength;
    private long[] savedCfa;
    private byte[] initialKind;
    private long[] initialValue;
    private int[] initialExprLength;

    /** Fills this row with the rules of FDE {@code fde} of {@code t} at link-time address {@code pc}. */
    void compute(CfiTable t, int fde, long pc) {
        if (initialKind == null) {
            savedKind = new byte[MAX_REMEMBERED][N];
            savedValue = new long[MAX_REMEMBERED][N];
            savedExprLength = new int[MAX_REMEMBERED][N];
            savedCfa = new long[MAX_REMEMBERED * 5];
            initialKind = new byte[N];
            initialValue = new long[N];
            initialExprLength = new int[N];
        }
        CfiTable.Cie cie = t.cie(fde);
        table = t;
        returnRegister = cie.returnRegister();
        signalFrame = cie.signalFrame();
        cfaKind = CFA_REGISTER_OFFSET;
        cfaRegister = Registers.RSP;
        cfaOffset = 0;
        java.util.Arrays.fill(kind, SAME);
        DwarfCursor c = cursor(t);
        c.seek(cie.instructionsStart(), cie.instructionsEnd());
        execute(c, cie, Long.MAX_VALUE, t.start(fde), 0);
        System.arraycopy(kind, 0, initialKind, 0, N);
        System.arraycopy(value, 0, initialValue, 0, N);
        System.arraycopy(exprLength, 0, initialExprLength, 0, N);
        c.seek(t.instructionsStart(fde), t.instructionsEnd(fde));
        execute(c, cie, pc, t.start(fde), 0);
    }

    /** Takes {@code other}'s rules (not its scratch). */
    void copyFrom(CfiRow other) {
        cfaKind = other.cfaKind;
        cfaRegister = other.cfaRegister;
        cfaOffset = other.cfaOffset;
        cfaExprStart = other.cfaExprStart;
        cfaExprLength = other.cfaExprLength;
        System.arraycopy(other.kind, 0, kind, 0, N);
        System.arraycopy(other.value, 0, value, 0, N);
        System.arraycopy(other.exprLength, 0, exprLength, 0, N);
        returnRegister = other.returnRegister;
        signalFrame = other.signalFrame;
        table = other.table;
    }

    private CfiTable cursorTable;
    private DwarfCursor cursor;

    /** A cursor over {@code t}'s section, reused while frames come from the same file. */
    DwarfCursor cursor(CfiTable t) {
        if (t != cursorTable) {
            cursor = t.cursor();
            cursorTable = t;
        }
        return cursor;
    }

    private void execute(DwarfCursor c, CfiTable.Cie cie, long pc, long loc, int depth) {
        int remembered = 0;
        while (c.hasMore()) {
            int op = c.u8();
            int high = op & 0xc0;
            int low = op & 0x3f;
            if (high == 0x40) { // DW_CFA_advance_loc
                loc += low * cie.codeAlign();
                if (Long.compareUnsigned(loc, pc) > 0) {
                    return;
                }
                continue;
            }
            if (high == 0x80) { // DW_CFA_offset
                set(low, OFFSET, c.uleb() * cie.dataAlign(), 0);
                continue;
            }
            if (high == 0xc0) { // DW_CFA_restore
                restore(low);
                continue;
            }
            switch (op) {
                case 0x00 -> { } // nop
                case 0x01 -> { // set_loc
                    loc = c.encoded(cie.fdeEncoding(), 0);
                    if (Long.compareUnsigned(loc, pc) > 0) {
                        return;
                    }
                }
                case 0x02, 0x03, 0x04 -> { // advance_loc1/2/4
                    long delta = op == 0x02 ? c.u8() : op == 0x03 ? c.u16() : c.u32();
                    loc += delta * cie.codeAlign();
                    if (Long.compareUnsigned(loc, pc) > 0) {
                        return;
                    }
                }
                case 0x05 -> { // offset_extended
                    int r = (int) c.uleb();
                    set(r, OFFSET, c.uleb() * cie.dataAlign(), 0);
                }
                case 0x06 -> restore((int) c.uleb());
                case 0x07 -> set((int) c.uleb(), UNDEFINED, 0, 0);
                case 0x08 -> set((int) c.uleb(), SAME, 0, 0);
                case 0x09 -> {
                    int r = (int) c.uleb();
                    set(r, REGISTER, c.uleb(), 0);
                }
                case 0x0a -> { // remember_state
                    if (remembered == MAX_REMEMBERED) {
                        throw new CfiException("remember_state nested too deep");
                    }
                    System.arraycopy(kind, 0, savedKind[remembered], 0, N);
                    System.arraycopy(value, 0, savedValue[remembered], 0, N);
                    System.arraycopy(exprLength, 0, savedExprLength[remembered], 0, N);
                    int s = remembered * 5;
                    savedCfa[s] = cfaKind;
                    savedCfa[s + 1] = cfaRegister;
                    savedCfa[s + 2] = cfaOffset;
                    savedCfa[s + 3] = cfaExprStart;
                    savedCfa[s + 4] = cfaExprLength;
                    remembered++;
                }
                case 0x0b -> { // restore_state
                    if (remembered == 0) {
                        throw new CfiException("restore_state without remember_state");
                    }
                    remembered--;
                    System.arraycopy(savedKind[remembered], 0, kind, 0, N);
                    System.arraycopy(savedValue[remembered], 0, value, 0, N);
                    System.arraycopy(savedExprLength[remembered], 0, exprLength, 0, N);
                    int s = remembered * 5;
                    cfaKind = (byte) savedCfa[s];
                    cfaRegister = (int) savedCfa[s + 1];
                    cfaOffset = savedCfa[s + 2];
                    cfaExprStart = (int) savedCfa[s + 3];
                    cfaExprLength = (int) savedCfa[s + 4];
                }
                case 0x0c -> { // def_cfa
                    cfaKind = CFA_REGISTER_OFFSET;
                    cfaRegister = (int) c.uleb();
                    cfaOffset = c.uleb();
                }
                case 0x0d -> {
                    cfaKind = CFA_REGISTER_OFFSET;
                    cfaRegister = (int) c.uleb();
                }
                case 0x0e -> cfaOffset = c.uleb();
                case 0x0f -> { // def_cfa_expression
                    long len = c.uleb();
                    cfaKind = CFA_EXPRESSION;
                    cfaExprStart = c.position();
                    cfaExprLength = (int) len;
                    c.skip(len);
                }
                case 0x10, 0x16 -> { // expression, val_expression
                    int r = (int) c.uleb();
                    long len = c.uleb();
                    set(r, op == 0x10 ? EXPRESSION : VAL_EXPRESSION, c.position(), (int) len);
                    c.skip(len);
                }
                case 0x11 -> {
                    int r = (int) c.uleb();
                    set(r, OFFSET, c.sleb() * cie.dataAlign(), 0);
                }
                case 0x12 -> {
                    cfaKind = CFA_REGISTER_OFFSET;
                    cfaRegister = (int) c.uleb();
                    cfaOffset = c.sleb() * cie.dataAlign();
                }
                case 0x13 -> cfaOffset = c.sleb() * cie.dataAlign();
                case 0x14 -> {
                    int r = (int) c.uleb();
                    set(r, VAL_OFFSET, c.uleb() * cie.dataAlign(), 0);
                }
                case 0x15 -> {
                    int r = (int) c.uleb();
                    set(r, VAL_OFFSET, c.sleb() * cie.dataAlign(), 0);
                }
                case 0x2e -> c.uleb(); // GNU_args_size
                case 0x2f -> {
                    int r = (int) c.uleb();
                    set(r, OFFSET, -c.uleb() * cie.dataAlign(), 0);
                }
                default -> throw new CfiException("unknown CFA instruction 0x" + Integer.toHexString(op));
            }
        }
    }

    private void set(int register, byte k, long v, int len) {
        if (register >= 0 && register < N) {
            kind[register] = k;
            value[register] = v;
            exprLength[register] = len;
        }
    }

    private void restore(int register) {
        if (register >= 0 && register < N) {
            kind[register] = initialKind[register];
            value[register] = initialValue[register];
            exprLength[register] = initialExprLength[register];
        }
    }
}

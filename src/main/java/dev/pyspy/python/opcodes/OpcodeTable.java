package dev.pyspy.python.opcodes;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/**
 * The opcode names of one CPython minor version, as its own {@code opcode} module gives them
 * ({@code opcodes-X.Y.properties}, written by {@code scripts/gen-layouts}: {@code name.N} for each
 * opcode, {@code base.NAME} for a specialised one's family, {@code caches.NAME} for the inline cache
 * code units that follow an instruction (3.11+), {@code caller-at-last-cache} where a frame that called
 * Python code points at its call's last cache unit). Each opcode's label is made once, so looking one
 * up allocates nothing.
 */
public final class OpcodeTable {
    private static final String RESOURCE = "/dev/pyspy/layouts/opcodes-%s.properties";

    private final String[] labels = new String[256];
    private final java.util.Map<String, Integer> numbers = new java.util.HashMap<>();
    private final int[] caches = new int[256];
    private final boolean callerAtLastCache;

    private OpcodeTable(Properties p) {
        for (int op = 0; op < labels.length; op++) {
            String name = p.getProperty("name." + op);
            if (name != null) {
                numbers.put(name, op);
            }
            if (name == null) {
                labels[op] = "<" + op + ">"; // not an opcode of this version: memory changing under us
                continue;
            }
            String base = p.getProperty("base." + name);
            labels[op] = base == null || base.equals(name) ? name : name + " [" + base + "]";
            // a specialised instruction keeps its family's caches
            caches[op] = Integer.parseInt(p.getProperty("caches." + (base == null ? name : base), "0"));
        }
        callerAtLastCache = "1".equals(p.getProperty("caller-at-last-cache"));
    }

    /** The table of CPython {@code majorMinor} ({@code 3.12}; both builds share it), or null when pyspy has none. */
    public static OpcodeTable forVersion(String majorMinor) {
        try (InputStream in = OpcodeTable.class.getResourceAsStream(String.format(RESOURCE, majorMinor))) {
            if (in == null) {
                return null;
            }
            Properties p = new Properties();
            p.load(in);
            return new OpcodeTable(p);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e); // a resource of our own jar: not the user's to fix
        }
    }

    /** Inline cache code units after an instruction of {@code opcode} (3.11+; 0 before). */
    public int caches(int opcode) {
        return caches[opcode & 0xff];
    }

    /**
     * Whether a frame that called Python code points at the last cache unit of its call instruction
     * (3.11-3.12's {@code prev_instr}), not at the instruction.
     */
    public boolean callerAtLastCache() {
        return callerAtLastCache;
    }

    /** The number of the opcode named {@code name} in this version, -1 when it has none. */
    public int number(String name) {
        return numbers.getOrDefault(name, -1);
    }

    /** {@code LOAD_ATTR}, or a specialised opcode with its family: {@code LOAD_ATTR_INSTANCE_VALUE [LOAD_ATTR]}. */
    public String label(int opcode) {
        return labels[opcode & 0xff];
    }

    /** The opcode of a {@link #label}: {@code LOAD_ATTR_INSTANCE_VALUE} of {@code LOAD_ATTR_INSTANCE_VALUE [LOAD_ATTR]}. */
    public static String opcodeOf(String label) {
        int bracket = label.indexOf(" [");
        return bracket < 0 ? label : label.substring(0, bracket);
    }

    /** The family of a {@link #label}: its base in brackets, else the opcode itself. */
    public static String familyOf(String label) {
        int bracket = label.indexOf(" [");
        return bracket < 0 || !label.endsWith("]") ? label : label.substring(bracket + 2, label.length() - 1);
    }
}

package dev.pyspy.model;

import java.util.List;

/**
 * One Python frame as shown to users.
 *
 * @param name          function name (qualified name on 3.11+)
 * @param filename      full path of the source file as the interpreter recorded it
 * @param shortFilename path from the top-level package (see dev.pyspy.python.ShortFilenames)
 * @param module        module name derived from the file, or null when unknown
 * @param line          1-based line number, 0 when unknown or dropped
 * @param locals        arguments and locals, empty unless requested
 * @param isEntry       true for the first Python frame of a C-to-Python call (3.11+), always true before
 * @param isShimEntry   py-spy's flag: the frame was entered through a shim frame (3.12+); always set
 *                      on the outermost frame
 * @param column        {@code --opcodes}: the instruction's first column, 1-based (3.11+); 0 when unknown
 * @param opcode        {@code --opcodes}: the opcode the frame executes ({@code BINARY_SUBSCR_DICT}), else null
 * @param opcodeFamily  {@code --opcodes}: its base opcode ({@code BINARY_SUBSCR}; the opcode itself when it
 *                      is not specialised), else null
 */
public record Frame(String name, String filename, String shortFilename, String module, int line,
                    List<LocalVariable> locals, boolean isEntry, boolean isShimEntry, int column, String opcode,
                    String opcodeFamily) {

    public Frame(String name, String filename, String shortFilename, String module, int line,
                 List<LocalVariable> locals, boolean isEntry, boolean isShimEntry) {
        this(name, filename, shortFilename, module, line, locals, isEntry, isShimEntry, 0, null, null);
    }

    public Frame withLocals(List<LocalVariable> newLocals) {
        return new Frame(name, filename, shortFilename, module, line, newLocals, isEntry, isShimEntry, column, opcode,
                opcodeFamily);
    }
}

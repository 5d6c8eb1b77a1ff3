package dev.pyspy.cli;

import dev.pyspy.PyspyException;
import dev.pyspy.python.PythonProcess;
import dev.pyspy.python.opcodes.InstructionFrames;
import picocli.CommandLine.Option;

/**
 * {@code --opcodes} of {@code record}, {@code top} and {@code dump}: every frame labelled by the
 * instruction it executes, the same label in each command.
 */
final class OpcodesOption {
    @Option(names = {"--opcodes"}, description = "Label each frame with the instruction it executes: "
            + "function (file:line:column) OPCODE (the column from 3.11 on); a specialised opcode shows its family: "
            + "LOAD_ATTR_INSTANCE_VALUE [LOAD_ATTR].")
    boolean opcodes;

    /** The option rule shared by the commands: native frames are not labelled by instruction. */
    void validate(boolean nativeFrames) throws PyspyException {
        if (opcodes && nativeFrames) {
            throw RecordCommand.usage("--opcodes cannot be used with --native");
        }
    }

    /** Once the target is known: refused (exit 6) when pyspy has no opcode table for its version. */
    void checkApplies(PythonProcess python) throws PyspyException {
        if (opcodes) {
            InstructionFrames.requireTable(python.version().majorMinor());
        }
    }
}

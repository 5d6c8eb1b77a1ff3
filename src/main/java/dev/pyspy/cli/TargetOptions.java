package dev.pyspy.cli;

import dev.pyspy.PyspyException;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.ArrayList;
import java.util.List;

/** Which program to sample: {@code -p PID}, or a command to launch after {@code --}. */
final class TargetOptions {
    @Option(names = {"-p", "--pid"}, paramLabel = "PID", converter = PidConverter.class,
            description = "Process id of a running Python program (decimal, or hexadecimal as 0x...).")
    Integer pid;

    @Parameters(paramLabel = "COMMAND", arity = "0..*",
            description = "Program to launch and profile, after --, e.g. -- python app.py args.")
    List<String> command = new ArrayList<>();

    void validate() throws PyspyException {
        if (pid == null && command.isEmpty()) {
            throw RecordCommand.usage("give a process with -p PID or a program to launch after --");
        }
        if (pid != null && !command.isEmpty()) {
            throw RecordCommand.usage("give either -p PID or a program to launch, not both");
        }
        if (pid != null && pid <= 0) {
            throw RecordCommand.usage("invalid pid " + pid);
        }
    }
}

package dev.pyspy.cli;

import picocli.CommandLine.Option;

/** {@code --force} of {@code render} and {@code diff}. */
final class ForceOption {
    @Option(names = {"--force"}, description = "Replace the output file if it exists (a file named with -o is always replaced).")
    boolean force;
}

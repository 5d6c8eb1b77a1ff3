package dev.pyspy.cli;

import picocli.CommandLine.Option;

/** Options every subcommand takes. */
final class CommonOptions {
    @Option(names = {"-v", "--verbose"}, description = "Log what pyspy does (debug level) and show stack traces of errors.")
    void setVerbose(boolean on) {
        Main.setVerbose(on);
    }
}

package dev.pyspy.cli;

import picocli.CommandLine.Option;

/**
 * {@code --plain-names} of {@code record}, {@code render} and {@code diff}: py-spy's labels, so that
 * a pyspy profile and a py-spy one of the same program compare (README, "Differences from py-spy").
 */
final class PlainNamesOption {
    @Option(names = {"--plain-names"},
            description = "Label functions by their plain name (run), as py-spy does, not the qualified name of 3.11+ (Thread.run).")
    boolean plainNames;
}

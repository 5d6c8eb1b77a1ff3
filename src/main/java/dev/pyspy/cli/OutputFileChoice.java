package dev.pyspy.cli;

import dev.pyspy.PyspyException;
import dev.pyspy.output.OutputFormat;
import dev.pyspy.output.Profile;
import dev.pyspy.output.SourceFiles;
import dev.pyspy.output.ProfileThread;
import dev.pyspy.process.ProcFs;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The output rules shared by {@code record}, {@code render} and {@code diff}: which format a file
 * gets, when an existing file may be replaced, where the heatmap reads sources, and the line that
 * says how to open what was written.
 */
final class OutputFileChoice {
    private OutputFileChoice() {
    }

    /**
     * {@code -f} when given, else the format {@code -o}'s ending names ({@link OutputFormat#ofFileName}),
     * else {@code fallback}. A {@code -f} whose format does not write {@code -o}'s ending
     * ({@code -f raw -o x.svg}) is a usage error.
     */
    static OutputFormat format(OutputFormat given, Path output, OutputFormat fallback) throws PyspyException {
        String name = output == null || output.getFileName() == null ? "" : output.getFileName().toString();
        OutputFormat named = OutputFormat.ofFileName(name);
        if (given == null) {
            return named != null ? named : fallback;
        }
        if (!given.suitsFileName(name)) {
            throw RecordCommand.usage("--format " + given.formatName() + " does not write " + name
                    + " (that ending is for " + named.formatName() + "): change the file name or the format");
        }
        return given;
    }

    /** Whether the format goes to standard output: the table when no {@code -o} names a file. */
    static boolean toStandardOutput(OutputFormat format, Path output) {
        return format == OutputFormat.TABLE && output == null;
    }

    /**
     * Refuses to replace an existing file that pyspy named itself ({@code render}/{@code diff} without
     * {@code -o}) unless {@code --force}: a file named with {@code -o} is replaced as asked.
     */
    static void refuseOverwrite(Path out, boolean namedByUser, boolean force) throws PyspyException {
        if (!namedByUser && !force && Files.exists(out)) {
            throw RecordCommand.usage(out + " already exists: give --force to replace it, or -o FILE");
        }
    }

    /** Sources for the heatmap of a recording: each target's own root and working directory, then ours. */
    static SourceFiles recordedSources(Profile profile) {
        Set<Integer> pids = new LinkedHashSet<>();
        for (ProfileThread t : profile.threads()) {
            pids.add(t.pid());
        }
        List<Path> roots = new ArrayList<>();
        List<Path> dirs = new ArrayList<>();
        for (int pid : pids) {
            roots.add(ProcFs.procPath(pid, "root"));
            dirs.add(ProcFs.procPath(pid, "cwd"));
        }
        roots.add(Path.of("/"));
        dirs.add(Path.of(""));
        return new SourceFiles(roots, dirs);
    }

    /** The line printed after writing {@code out}. */
    static String hint(OutputFormat format, Path out) {
        return "pyspy> " + format.openHint(out);
    }
}

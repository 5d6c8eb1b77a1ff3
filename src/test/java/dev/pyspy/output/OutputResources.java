package dev.pyspy.output;

import java.nio.file.Files;
import java.nio.file.Path;

/** Profiles kept as test resources under output/, copied where a test needs them. */
final class OutputResources {
    private OutputResources() {
    }

    static Path resource(Path dir, String name) throws Exception {
        Path p = dir.resolve(name);
        Files.copy(Path.of(OutputResources.class.getResource("/output/" + name).toURI()), p);
        return p;
    }
}

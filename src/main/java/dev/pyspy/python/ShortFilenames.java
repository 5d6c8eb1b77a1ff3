package dev.pyspy.python;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Shortens a source path to start at its top-level package: walk up while the directory holds an
 * {@code __init__.py}. {@code /srv/app/pkg/sub/mod.py} with packages pkg and pkg.sub → {@code pkg/sub/mod.py};
 * a script outside any package → its file name. Files are checked inside the target's root
 * ({@code /proc/PID/root}) so containerised targets shorten the same way; a relative path (a script
 * started as {@code python ./scripts/job.py}) from the target's working directory, and shortens the
 * same way ({@code job.py}), as py-spy's does. Names that are no path ({@code <frozen ...>},
 * {@code <string>}) stay as they are.
 */
public final class ShortFilenames {
    private final Path root;
    private final Path cwd;
    private final Map<String, String> cache = new HashMap<>();

    /**
     * @param root the target's root directory as seen from here, e.g. {@code /proc/PID/root}
     * @param cwd  the target's working directory as seen from here, e.g. {@code /proc/PID/cwd}
     */
    public ShortFilenames(Path root, Path cwd) {
        this.root = root;
        this.cwd = cwd;
    }

    public String shorten(String filename) {
        return cache.computeIfAbsent(filename, this::compute);
    }

    private String compute(String filename) {
        if (filename.isEmpty() || filename.charAt(0) == '<') {
            return filename; // "<frozen importlib._bootstrap>", "<string>"
        }
        int end = filename.lastIndexOf('/');
        int start = end;
        try {
            while (start > 0) {
                String dir = filename.substring(0, start);
                if (!Files.exists(seen(dir + "/__init__.py"))) {
                    break;
                }
                start = dir.lastIndexOf('/');
            }
        } catch (RuntimeException e) {
            // An odd path (invalid characters) is shown as far as it was shortened.
        }
        return filename.substring(start + 1);
    }

    private Path seen(String path) {
        if (path.charAt(0) != '/') {
            return cwd == null ? Path.of(path) : cwd.resolve(path);
        }
        return root == null ? Path.of(path) : root.resolve(path.substring(1));
    }
}

package dev.pyspy.testing;

import java.io.File;

/** Finds the tools some tests use (go, node, npm) on PATH. */
public final class Executables {
    private Executables() {
    }

    public static String findOnPath(String tool) {
        String path = System.getenv("PATH");
        if (path == null) {
            return null;
        }
        for (String dir : path.split(File.pathSeparator)) {
            File f = new File(dir, tool);
            if (f.isFile() && f.canExecute()) {
                return f.getAbsolutePath();
            }
        }
        return null;
    }
}

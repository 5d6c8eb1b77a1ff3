package dev.pyspy.unwind;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * C++ names made readable by Debian's {@code c++filt} (binutils), one long-lived process fed a name
 * per line; each name is asked once. Without {@code c++filt} names stay mangled. Only names that
 * look mangled ({@code _Z...}) are sent, so C code never starts the process.
 */
final class Demangler {

    private static final Map<String, String> CACHE = new ConcurrentHashMap<>();
    private static Process process;
    private static Writer toFilter;
    private static BufferedReader fromFilter;
    private static boolean unavailable;

    private Demangler() {}

    static String demangle(String name) {
        if (!name.startsWith("_Z")) {
            return name;
        }
        return CACHE.computeIfAbsent(name, Demangler::ask);
    }

    private static synchronized String ask(String name) {
        if (unavailable || name.indexOf('\n') >= 0) {
            return name;
        }
        try {
            if (process == null) {
                ProcessBuilder pb = new ProcessBuilder("c++filt");
                pb.redirectError(ProcessBuilder.Redirect.DISCARD);
                process = pb.start();
                toFilter = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
                fromFilter = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
                Runtime.getRuntime().addShutdownHook(new Thread(process::destroy, "c++filt-exit"));
            }
            toFilter.write(name + "\n");
            toFilter.flush();
            String line = fromFilter.readLine();
            return line == null || line.isEmpty() ? name : line;
        } catch (IOException e) {
            unavailable = true;
            return name;
        }
    }
}

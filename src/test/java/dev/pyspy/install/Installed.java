package dev.pyspy.install;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** What the install tests share: the distribution the build made, running commands, a target that sleeps. */
final class Installed {
    static final String VERSION = System.getProperty("pyspy.version");
    static final Path BUILD = Path.of(System.getProperty("pyspy.dist.dir", "target"));
    /** A Python program whose two threads sleep for good in functions of known names. */
    static final String TARGET = String.join("\n",
            "import sys, threading, time",
            "def sleeper_in_thread():",
            "    time.sleep(3600)",
            "def sleeper_in_main(path):",
            "    open(path, 'w').close()",
            "    time.sleep(3600)",
            "threading.Thread(target=sleeper_in_thread, name='worker', daemon=True).start()",
            "sleeper_in_main(sys.argv[1])", "");

    record Result(int exitCode, String stdout, String stderr) {
    }

    private Installed() {
    }

    static Path tarball() {
        return existing(BUILD.resolve("pyspy-" + VERSION + "-linux-x86_64.tar.gz"));
    }

    static Path deb() {
        return existing(BUILD.resolve("pyspy_" + VERSION + "_amd64.deb"));
    }

    private static Path existing(Path p) {
        if (!Files.isRegularFile(p)) {
            throw new AssertionError(p + " is missing: the install tests run after `mvn package` built it");
        }
        return p;
    }

    /** The clone's own launcher, to compare with. */
    static Path scriptsPyspy() {
        return Path.of(System.getProperty("user.dir"), "scripts", "pyspy");
    }

    /** Starts the target with a pyenv 3.12 (else the first python3 on PATH); returns once it sleeps. */
    static Process startTarget(Path dir) throws IOException, InterruptedException {
        Path pyenv = Path.of(System.getProperty("user.home"), ".pyenv/versions/3.12.1/bin/python3.12");
        String python = Files.isExecutable(pyenv) ? pyenv.toString() : "python3";
        Path script = dir.resolve("target.py");
        Path ready = dir.resolve("ready");
        Files.writeString(script, TARGET);
        Process p = new ProcessBuilder(python, script.toString(), ready.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("target.log").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Files.exists(ready)) {
            if (!p.isAlive() || System.nanoTime() > deadline) {
                p.destroyForcibly();
                throw new AssertionError("the target did not start: " + Files.readString(dir.resolve("target.log")));
            }
            Thread.sleep(20);
        }
        // a thread sleeping in sleeper_in_thread is what the stacks must show: wait for its state too
        waitFor(() -> Files.list(Path.of("/proc/" + p.pid() + "/task")).count() >= 2, "the target's second thread");
        return p;
    }

    interface Condition {
        boolean holds() throws IOException;
    }

    static void waitFor(Condition c, String what) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (!c.holds()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(50);
        }
    }

    /** Runs a command to its end (at most 5 minutes: a busy machine). */
    static Result run(List<String> command, Map<String, String> env, Path cwd) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).directory(cwd.toFile());
        pb.environment().putAll(env);
        Process p = pb.start();
        p.getOutputStream().close();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Thread t1 = new Thread(() -> copy(p.getInputStream(), out));
        Thread t2 = new Thread(() -> copy(p.getErrorStream(), err));
        t1.start();
        t2.start();
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError(command + " did not finish");
        }
        t1.join();
        t2.join();
        return new Result(p.exitValue(), out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    static Result run(String... command) throws IOException, InterruptedException {
        return run(List.of(command), Map.of(), Path.of("/"));
    }

    /** The command run with DIR mounted read-only (in a mount namespace of its own). */
    static List<String> readOnly(Path dir, List<String> command) {
        List<String> c = new ArrayList<>(List.of("unshare", "-m", "sh", "-c",
                "mount --bind \"$0\" \"$0\" && mount -o remount,ro,bind \"$0\" && exec \"$@\"", dir.toString()));
        c.addAll(command);
        return c;
    }

    private static void copy(InputStream in, OutputStream out) {
        try (in) {
            in.transferTo(out);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}

package dev.pyspy.unwind;

import dev.pyspy.process.RemoteMemory;
import dev.pyspy.testing.GdbBacktraces;
import dev.pyspy.testing.Interpreters;
import dev.pyspy.testing.Interpreters.Interpreter;
import dev.pyspy.testing.NeedsRoot;
import dev.pyspy.testing.TargetProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * File and line of the interpreter's own frames: a pyenv 3.12 (libpython built with {@code -g})
 * sleeping in {@code time.sleep} under a few Python frames, its main thread unwound and each frame
 * looked up in its file's line table, against gdb's backtrace of the same thread (which stays put
 * while it sleeps): frame for frame, the same {@code file:line}, or none where gdb has none.
 */
@Timeout(180)
@NeedsRoot
class NativeSourceLinesTest {

    /** Where {@code clock_nanosleep} is the thread's system call: it sleeps, and its stack stays put. */
    private static final String CLOCK_NANOSLEEP = "230";

    @Test
    void libpythonFramesHaveGdbsFileAndLine() throws Exception {
        Interpreter python = Interpreters.all().stream()
                .filter(i -> i.root() == null && i.majorMinor().equals("3.12")).findFirst().orElseThrow();
        Path dir = TargetProcess.scripts("sleep_target.py");
        try (TargetProcess target = TargetProcess.startChild(python, dir.resolve("sleep_target.py"), "600")) {
            int pid = target.pid();
            target.truth(30);
            Path syscall = Path.of("/proc/" + pid + "/syscall");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!Files.readString(syscall).startsWith(CLOCK_NANOSLEEP + " ")) {
                assertTrue(System.nanoTime() < deadline, "the main thread sleeps: " + Files.readString(syscall));
                Thread.sleep(10);
            }
            List<GdbFrame> gdb = physicalFrames(GdbBacktraces.frameLines(pid, pid));

            List<String> ours = new ArrayList<>();
            List<String> libraries = new ArrayList<>();
            List<Long> addresses = new ArrayList<>();
            try (RemoteMemory memory = RemoteMemory.open(pid); StoppedThreads paused = new StoppedThreads(pid)) {
                NativeStacks stacks = new NativeStacks(pid, memory);
                long[] out = new long[NativeUnwinder.MAX_FRAMES];
                int n = stacks.unwind(pid, out);
                assertTrue(n > 0, "the main thread unwound");
                for (int i = 0; i < n; i++) {
                    SourceLine s = stacks.sourceLine(out[i]);
                    ours.add(s == null ? null : s.fileName() + ":" + s.line());
                    libraries.add(stacks.symbol(out[i]).library());
                    // callers are given as return address - 1; gdb shows the return address
                    addresses.add(i == 0 ? out[i] : out[i] + 1);
                }
            }
            assertTrue(ours.size() >= gdb.size(), "as deep as gdb: " + ours + "\ngdb " + gdb);
            int libpythonLines = 0;
            for (int i = 0; i < gdb.size(); i++) {
                if (i > 0) {
                    assertEquals(Long.toHexString(gdb.get(i).address), Long.toHexString(addresses.get(i)),
                            "frame " + i + " is gdb's: ours " + ours + "\ngdb " + gdb);
                }
                assertEquals(gdb.get(i).location, ours.get(i), "frame " + i + ": ours " + ours + "\ngdb " + gdb);
                if (ours.get(i) != null && libraries.get(i).startsWith("libpython")) {
                    libpythonLines++;
                }
            }
            assertTrue(libpythonLines >= 4, "libpython's frames have lines: " + ours + " in " + libraries);
            assertTrue(ours.stream().anyMatch(o -> o != null && o.startsWith("timemodule.c:")),
                    "time.sleep's C code is among them: " + ours);
        }
    }

    private record GdbFrame(long address, String location) {
        @Override
        public String toString() {
            return Long.toHexString(address) + " " + location;
        }
    }

    private static final Pattern FRAME = Pattern.compile("^#(\\d+)\\s+(?:0x([0-9a-f]+) in )?\\S+ .*?(?: at (\\S+):(\\d+))?$");

    /**
     * One per physical frame: gdb prints a frame holding inlined calls as the innermost inlined
     * function, with the address and the line table's location, then each caller inlined into it
     * without an address; frame 0 shows no address when it is at the start of a line.
     */
    private static List<GdbFrame> physicalFrames(List<String> lines) {
        List<GdbFrame> frames = new ArrayList<>();
        for (String line : lines) {
            Matcher m = FRAME.matcher(line);
            assertTrue(m.matches(), line);
            if (m.group(2) != null || m.group(1).equals("0")) {
                String location = m.group(3) == null ? null : Path.of(m.group(3)).getFileName() + ":" + m.group(4);
                frames.add(new GdbFrame(m.group(2) == null ? 0 : Long.parseUnsignedLong(m.group(2), 16), location));
            }
        }
        return frames;
    }
}

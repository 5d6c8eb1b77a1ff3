package dev.pyspy.process;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Helper program for {@link ThreadPauserTest}: pauses every thread of the pid given as first
 * argument, writes the second argument (a file) to say so, then sleeps until killed.
 */
public final class PauseAndHangMain {

    private PauseAndHangMain() {}

    public static void main(String[] args) throws Exception {
        int pid = Integer.parseInt(args[0]);
        ThreadPauser pauser = ThreadPauser.pauseAll(pid);
        Files.writeString(Path.of(args[1]), pauser.stoppedThreads().length + "\n");
        Thread.sleep(600_000);
        pauser.resumeAll();
    }
}

package dev.pyspy.output;

/** A thread seen during a recording, in order of first appearance. */
public record ThreadInfo(int pid, long osThreadId, String name) {

    public String label() {
        String id = "thread (" + osThreadId + ")";
        return name == null ? id : id + ": " + name;
    }
}

package dev.pyspy.output;

/** A thread seen during a recording, in order of first appearance. */
public record ProfileThread(int pid, long osThreadId, String name) {

    // Written out: a record's generated equals/hashCode are bootstrapped through method handles on
    // first use, which costs the first sample of a recording a noticeable pause.
    @Override
    public boolean equals(Object o) {
        return o instanceof ProfileThread t && t.pid == pid && t.osThreadId == osThreadId
                && java.util.Objects.equals(t.name, name);
    }

    @Override
    public int hashCode() {
        return (31 * pid + Long.hashCode(osThreadId)) * 31 + java.util.Objects.hashCode(name);
    }

    public String label() {
        String id = "thread (" + osThreadId + ")";
        return name == null ? id : id + ": " + name;
    }
}
